#include "cloison/monitor/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cloison/monitor/ctl_protocol.h"
#include "nlohmann/json.hpp"

namespace cloison::monitor {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(ParseOptions, ContainerMode) {
  absl::StatusOr<MonitorOptions> options = ParseOptions(
      {"--id", "c1", "--bundle", "/b", "--runtime", "/usr/sbin/runc", "--runtime-arg", "--root=/run/x",
       "--runtime-arg", "--systemd-cgroup", "--log-path", "/l", "--exit-file=/e", "--socket-dir", "/s",
       "--pid-file", "/p", "--tty", "--stdin", "--stdin-once", "--stdio-at-start", "--wait-with-runtime",
       "--sync-fd", "5"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->exec);
  EXPECT_EQ(options->id, "c1");
  EXPECT_EQ(options->bundle, "/b");
  EXPECT_THAT(options->runtime_args, ElementsAre("--root=/run/x", "--systemd-cgroup"));
  EXPECT_EQ(options->exit_file, "/e");
  EXPECT_EQ(options->pid_file, "/p");
  EXPECT_TRUE(options->tty && options->stdin_open && options->stdin_once);
  EXPECT_TRUE(options->stdio_at_start && options->wait_with_runtime);
  EXPECT_EQ(options->sync_fd, 5);
  EXPECT_THAT(RuntimeCommand(*options, {"start", "c1"}),
              ElementsAre("/usr/sbin/runc", "--root=/run/x", "--systemd-cgroup", "start", "c1"));
}

TEST(ParseOptions, Defaults) {
  absl::StatusOr<MonitorOptions> options = ParseOptions(
      {"--id", "c1", "--bundle", "/b", "--runtime", "runc", "--log-path", "/l", "--exit-file", "/e",
       "--socket-dir", "/s"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sync_fd, 3);
  EXPECT_FALSE(options->tty || options->stdin_open || options->stdio_at_start);
}

TEST(ParseOptions, ExecMode) {
  absl::StatusOr<MonitorOptions> options =
      ParseOptions({"--exec", "--id", "c1", "--runtime", "runc", "--process-spec", "/p.json", "--stdout-file",
                    "/o", "--stderr-file", "/e", "--timeout", "7", "--tty"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->exec);
  EXPECT_EQ(options->timeout_seconds, 7);
  EXPECT_EQ(options->process_spec, "/p.json");
  EXPECT_FALSE(options->kill_with_runtime);
  options = ParseOptions({"--exec", "--id", "c1", "--runtime", "runsc", "--process-spec", "/p.json", "--stdout-file",
                          "/o", "--stderr-file", "/e", "--kill-with-runtime"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->kill_with_runtime);
}

TEST(ParseOptions, Errors) {
  EXPECT_THAT(std::string(ParseOptions({"--bogus"}).status().message()), HasSubstr("unknown flag --bogus"));
  EXPECT_THAT(std::string(ParseOptions({"--id"}).status().message()), HasSubstr("needs a value"));
  EXPECT_THAT(std::string(ParseOptions({"--tty=1"}).status().message()), HasSubstr("takes no value"));
  EXPECT_THAT(std::string(ParseOptions({"--id", "c"}).status().message()), HasSubstr("--bundle is required"));
  EXPECT_THAT(std::string(ParseOptions({"--exec", "--id", "c", "--runtime", "r"}).status().message()),
              HasSubstr("--process-spec is required"));
  EXPECT_FALSE(ParseOptions({"--exec", "--timeout", "-1"}).ok());
  EXPECT_FALSE(ParseOptions({"--exec", "--timeout", "soon"}).ok());
}

TEST(CtlProtocol, ParsesRequests) {
  absl::StatusOr<CtlRequest> start = ParseCtlRequest(R"({"op":"start"})");
  ASSERT_TRUE(start.ok());
  EXPECT_EQ(start->op, CtlRequest::Op::kStart);
  EXPECT_EQ(ParseCtlRequest(R"({"op":"reopen"})")->op, CtlRequest::Op::kReopen);
  EXPECT_EQ(ParseCtlRequest(R"({"op":"state"})")->op, CtlRequest::Op::kState);
  absl::StatusOr<CtlRequest> resize = ParseCtlRequest(R"({"op":"resize","width":120,"height":40})");
  ASSERT_TRUE(resize.ok());
  EXPECT_EQ(resize->width, 120);
  EXPECT_EQ(resize->height, 40);
}

TEST(CtlProtocol, RejectsBadRequests) {
  EXPECT_THAT(std::string(ParseCtlRequest(R"({"op":"dance"})").status().message()), HasSubstr("unknown op dance"));
  EXPECT_FALSE(ParseCtlRequest("not json").ok());
  EXPECT_FALSE(ParseCtlRequest(R"(["op"])").ok());
  EXPECT_FALSE(ParseCtlRequest(R"({"op":1})").ok());
  EXPECT_FALSE(ParseCtlRequest(R"({"op":"resize","width":-1,"height":2})").ok());
  EXPECT_FALSE(ParseCtlRequest(R"({"op":"resize","width":70000,"height":2})").ok());
  EXPECT_FALSE(ParseCtlRequest(R"({"op":"resize","width":"80","height":2})").ok());
}

TEST(CtlProtocol, Replies) {
  EXPECT_EQ(nlohmann::json::parse(CtlReply(absl::OkStatus())), nlohmann::json::parse(R"({"ok":true})"));
  EXPECT_EQ(nlohmann::json::parse(CtlReply(absl::InternalError("bad \xff bytes"))),
            nlohmann::json::parse(R"({"ok":false,"message":"bad \ufffd bytes"})"));
  EXPECT_EQ(nlohmann::json::parse(CtlStateReply(42, true, false)),
            nlohmann::json::parse(R"({"ok":true,"pid":42,"running":true,"started":false})"));
}

}  // namespace
}  // namespace cloison::monitor
