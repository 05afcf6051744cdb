// The shim launcher: the three forms a shim's `start` answers with, and output that is none of
// them; the end of a shim process asked to exit (ShimProcess), with child processes as shims.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "cloison/shim/shim_launcher.h"
#include "containerd/runtime/bootstrap/v1/bootstrap.pb.h"
#include "gtest/gtest.h"

namespace cloison::shim {
namespace {

TEST(ParseStartOutput, BareAddressAsDebiansRuncShimPrintsIt) {
  absl::StatusOr<std::string> address = ParseStartOutput("unix:///run/containerd/s/0123abcd");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "unix:///run/containerd/s/0123abcd");
  EXPECT_EQ(*ParseStartOutput("unix:///run/containerd/s/x\n"), "unix:///run/containerd/s/x");
}

TEST(ParseStartOutput, Json) {
  absl::StatusOr<std::string> address =
      ParseStartOutput(R"({"version":2,"address":"unix:///run/kata/s.sock","protocol":"ttrpc"})");
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "unix:///run/kata/s.sock");
  EXPECT_EQ(ParseStartOutput(R"({"version":2,"address":"unix:///x","protocol":"grpc"})").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(ParseStartOutput, ProtobufBootstrapResult) {
  containerd::runtime::bootstrap::v1::BootstrapResult result;
  result.set_version(2);
  result.set_address("unix:///run/containerd/s/feed");
  result.set_protocol("ttrpc");
  (*result.mutable_metadata())["k"] = "v";
  absl::StatusOr<std::string> address = ParseStartOutput(result.SerializeAsString());
  ASSERT_TRUE(address.ok()) << address.status();
  EXPECT_EQ(*address, "unix:///run/containerd/s/feed");
  result.set_protocol("grpc");
  EXPECT_EQ(ParseStartOutput(result.SerializeAsString()).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ParseStartOutput, GarbageIsInvalidArgument) {
  for (const std::string& garbage :
       {std::string(""), std::string("   \n"), std::string("panic: runtime error"), std::string("{\"version\":2}"),
        std::string("{not json"), std::string("\x08\x02\x12\x05hello", 9)}) {
    EXPECT_EQ(ParseStartOutput(garbage).status().code(), absl::StatusCode::kInvalidArgument) << garbage;
  }
}

// A child that exits by itself after `delay`, or never (it waits for signals).
pid_t ForkShim(std::chrono::milliseconds delay) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (delay.count() > 0) {
      usleep(static_cast<useconds_t>(delay.count() * 1000));
      _exit(0);
    }
    for (;;) pause();
  }
  return pid;
}

// How the child `pid` ended: its exit code, or 128 + the signal that killed it.
int Reap(pid_t pid) {
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

TEST(ShimProcess, OneThatExitsIsSeenExiting) {
  const pid_t pid = ForkShim(std::chrono::milliseconds(100));
  ASSERT_GT(pid, 0);
  absl::StatusOr<ShimProcess> shim = ShimProcess::Hold(pid);
  ASSERT_TRUE(shim.ok()) << shim.status();
  EXPECT_TRUE(shim->ExitsWithin(std::chrono::seconds(30)));
  EXPECT_TRUE(shim->ExitsWithin(std::chrono::milliseconds(0)));  // a zombie has exited
  EXPECT_EQ(Reap(pid), 0);
}

TEST(ShimProcess, OneThatStaysIsKilled) {
  const pid_t pid = ForkShim(std::chrono::milliseconds(0));
  ASSERT_GT(pid, 0);
  absl::StatusOr<ShimProcess> shim = ShimProcess::Hold(pid);
  ASSERT_TRUE(shim.ok()) << shim.status();
  EXPECT_FALSE(shim->ExitsWithin(std::chrono::milliseconds(100)));
  const absl::Status killed = shim->Kill();
  EXPECT_TRUE(killed.ok()) << killed;
  EXPECT_EQ(Reap(pid), 128 + SIGKILL);
}

TEST(ShimProcess, AnUnknownOrGonePidIsNotHeld) {
  EXPECT_EQ(ShimProcess::Hold(0).status().code(), absl::StatusCode::kInvalidArgument);
  const pid_t pid = ForkShim(std::chrono::milliseconds(1));
  ASSERT_GT(pid, 0);
  ASSERT_EQ(Reap(pid), 0);
  EXPECT_EQ(ShimProcess::Hold(pid).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace cloison::shim
