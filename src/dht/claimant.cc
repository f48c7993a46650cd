#include "dht/claimant.h"

#include <condition_variable>
#include <mutex>

#include "dht/dht_client.h"

namespace peerstore {

DhtClaimSink::DhtClaimSink(DhtClient& dht, size_t window)
    : DhtClaimSink(
          [&dht](const BlockId& block, std::vector<Bytes> records,
                 std::function<void(Status)> done) {
            dht.put_records(KeyKind::claims, block, std::move(records), std::move(done));
          },
          window) {}

std::vector<Status> DhtClaimSink::put_claims(const std::vector<std::pair<BlockId, Bytes>>& puts) {
  // Shared with the callbacks, which run on the loop thread and may outlive a timed-out wait
  // (they cannot: every DhtClient call answers; the shared state only keeps that an invariant
  // of the client, not of this code).
  struct State {
    std::mutex m;
    std::condition_variable cv;
    std::vector<Status> out;
    size_t in_flight = 0;
  };
  auto st = std::make_shared<State>();
  st->out.resize(puts.size());
  for (size_t i = 0; i < puts.size(); ++i) {
    {
      std::unique_lock lk(st->m);
      st->cv.wait(lk, [&] { return st->in_flight < window_; });
      ++st->in_flight;
    }
    put_(puts[i].first, {puts[i].second}, [st, i](Status s) {
      std::lock_guard lk(st->m);
      st->out[i] = std::move(s);
      --st->in_flight;
      st->cv.notify_all();
    });
  }
  std::unique_lock lk(st->m);
  st->cv.wait(lk, [&] { return st->in_flight == 0; });
  return st->out;
}

Bytes Claimant::record_of(const BlockId& block, const ClaimEntry& e, bool cancel) const {
  Claim c;
  c.number = e.number;
  if (cancel) {
    Id256 s = secrets_.secret(device_, block, e.number);
    c.tag = claim_tag(s);
    c.secret = s;
  } else {
    c.tag = secrets_.tag(device_, block, e.number);
  }
  return ClaimSet::encode_claim(c);
}

Result<size_t> Claimant::send(std::vector<std::pair<BlockId, ClaimEntry>> entries, bool cancels,
                              ClaimState done_state) {
  if (entries.empty()) return size_t(0);
  std::vector<std::pair<BlockId, Bytes>> puts;
  puts.reserve(entries.size());
  for (auto& [b, e] : entries) puts.emplace_back(b, record_of(b, e, cancels));
  std::vector<Status> answers = sink_.put_claims(puts);
  std::vector<std::pair<BlockId, ClaimEntry>> done;
  Status first;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i < answers.size() && answers[i].ok()) {
      done.emplace_back(entries[i].first, ClaimEntry{entries[i].second.number, done_state});
    } else if (first.ok()) {
      first = i < answers.size() ? answers[i] : fail(Errc::io, "the claim sink lost an answer");
    }
  }
  PS_TRY(book_.record(volume_, done));
  if (!first.ok())
    return fail(Errc::unavailable, std::string(cancels ? "cancel" : "claim") + " of block " +
                                       entries[0].first.short_hex() +
                                       " and others: " + first.error().message());
  return done.size();
}

Result<Claimant::Counts> Claimant::claim(std::span<const BlockId> blocks) {
  PS_ASSIGN(auto found, book_.find(volume_, blocks));
  std::vector<std::pair<BlockId, ClaimEntry>> todo;
  Counts counts;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& e = found[i];
    if (e && e->state == ClaimState::live) {
      ++counts.skipped;
      continue;
    }
    ClaimEntry next{0, ClaimState::claiming};
    if (e) next.number = e->state == ClaimState::claiming ? e->number : e->number + 1;
    todo.emplace_back(blocks[i], next);
  }
  // Pending first: from here until the answer, the book does not say "live". A cancel still
  // pending for the old number is given up: that claim may stay live on the ring, which only
  // keeps the block longer.
  PS_TRY(book_.record(volume_, todo));
  PS_ASSIGN(counts.sent, send(std::move(todo), false, ClaimState::live));
  return counts;
}

Result<Claimant::Counts> Claimant::cancel(std::span<const BlockId> blocks) {
  PS_ASSIGN(auto found, book_.find(volume_, blocks));
  std::vector<std::pair<BlockId, ClaimEntry>> todo;
  Counts counts;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const auto& e = found[i];
    // A pending claim may have reached the ring: it is cancelled like a live one.
    if (!e || e->state == ClaimState::cancelled) {
      ++counts.skipped;
      continue;
    }
    todo.emplace_back(blocks[i], ClaimEntry{e->number, ClaimState::cancelling});
  }
  PS_TRY(book_.record(volume_, todo));
  PS_ASSIGN(counts.sent, send(std::move(todo), true, ClaimState::cancelled));
  return counts;
}

Result<Claimant::Counts> Claimant::cancel_unreached(
    const std::function<bool(const BlockId&)>& reached) {
  std::vector<BlockId> gone;
  PS_TRY(book_.for_each(volume_, [&](const BlockId& b, const ClaimEntry& e) {
    bool held = e.state == ClaimState::live || e.state == ClaimState::claiming;
    if (held && !reached(b)) gone.push_back(b);
    return true;
  }));
  return cancel(gone);
}

Result<Claimant::Counts> Claimant::resume() {
  std::vector<std::pair<BlockId, ClaimEntry>> claims, cancels;
  PS_TRY(book_.for_each(volume_, [&](const BlockId& b, const ClaimEntry& e) {
    if (e.state == ClaimState::claiming) claims.emplace_back(b, e);
    if (e.state == ClaimState::cancelling) cancels.emplace_back(b, e);
    return true;
  }));
  Counts counts;
  Status first;
  auto c = send(std::move(claims), false, ClaimState::live);
  if (c.ok())
    counts.sent += *c;
  else
    first = c.error();
  auto x = send(std::move(cancels), true, ClaimState::cancelled);
  if (x.ok())
    counts.sent += *x;
  else if (first.ok())
    first = x.error();
  if (!first.ok()) return first.error();
  return counts;
}

}  // namespace peerstore
