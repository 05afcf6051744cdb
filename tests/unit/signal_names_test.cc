#include "cloison/util/signal_names.h"

#include <gtest/gtest.h>
#include <signal.h>

namespace cloison::util {
namespace {

TEST(ParseSignal, NamesNumbersAndRealtime) {
  EXPECT_EQ(ParseSignal("SIGTERM"), SIGTERM);
  EXPECT_EQ(ParseSignal("term"), SIGTERM);
  EXPECT_EQ(ParseSignal("SIGQUIT"), SIGQUIT);
  EXPECT_EQ(ParseSignal("9"), SIGKILL);
  EXPECT_EQ(ParseSignal("SIGRTMIN"), SIGRTMIN);
  EXPECT_EQ(ParseSignal("SIGRTMIN+3"), SIGRTMIN + 3);
  EXPECT_EQ(ParseSignal("SIGRTMINPLUS3"), SIGRTMIN + 3);
  EXPECT_EQ(ParseSignal("SIGRTMAX-1"), SIGRTMAX - 1);
  EXPECT_EQ(ParseSignal("SIGNOPE"), std::nullopt);
  EXPECT_EQ(ParseSignal("0"), std::nullopt);
  EXPECT_EQ(ParseSignal("SIGRTMIN+99"), std::nullopt);
}

}  // namespace
}  // namespace cloison::util
