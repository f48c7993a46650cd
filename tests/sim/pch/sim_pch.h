// The sim suite's precompiled header: the common one plus the simulator's scenario, which
// brings in the Chord node and the simulated network that most of its files use (it halves the
// time to compile each of them).

#include "../../pch/test_pch.h"
#include "scenario.h"
