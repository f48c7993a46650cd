// SimTransport: tests only (the sim_support library). A Transport endpoint on a SimNetwork, with
// the same contract as the TCP one (best effort, never delivers synchronously). Single-threaded,
// like the SimNetwork it uses.
#pragma once

#include "dht/transport.h"
#include "support/sim_network.h"

namespace peerstore {

class SimTransport final : public Transport {
 public:
  SimTransport(SimNetwork& net, int endpoint) : net_(net), ep_(endpoint) {}
  ~SimTransport() override { net_.set_receiver(ep_, nullptr); }

  const std::string& address() const override { return net_.address_of(ep_); }
  void send(const std::string& to, Bytes message) override {
    net_.send(ep_, to, std::move(message));
  }
  void set_receiver(Receiver receiver) override { net_.set_receiver(ep_, std::move(receiver)); }

 private:
  SimNetwork& net_;
  int ep_;
};

}  // namespace peerstore
