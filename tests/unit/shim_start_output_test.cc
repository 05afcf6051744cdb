// The three forms a shim's `start` answers with, and output that is none of them.
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

}  // namespace
}  // namespace cloison::shim
