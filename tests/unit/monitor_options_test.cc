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
       "--sync-fd", "5", "--lock-fd", "6"});
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
  EXPECT_EQ(options->lock_fd, 6);
  EXPECT_THAT(RuntimeCommand(*options, {"start", "c1"}),
              ElementsAre("/usr/sbin/runc", "--root=/run/x", "--systemd-cgroup", "start", "c1"));
}

TEST(ParseOptions, Defaults) {
  absl::StatusOr<MonitorOptions> options = ParseOptions(
      {"--id", "c1", "--bundle", "/b", "--runtime", "runc", "--log-path", "/l", "--exit-file", "/e",
       "--socket-dir", "/s"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->sync_fd, 3);
  EXPECT_EQ(options->lock_fd, -1);  // none
  EXPECT_FALSE(options->tty || options->stdin_open || options->stdio_at_start || options->run);
  EXPECT_EQ(options->create_timeout_seconds, 0);  // no limit
}

TEST(ParseOptions, RunModeAndCreateTimeout) {
  absl::StatusOr<MonitorOptions> options = ParseOptions(
      {"--id", "c1", "--bundle", "/b", "--runtime", "runc", "--log-path", "/l", "--exit-file", "/e",
       "--socket-dir", "/s", "--run", "--create-timeout", "120"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->run);
  EXPECT_EQ(options->create_timeout_seconds, 120);
  EXPECT_FALSE(ParseOptions({"--id", "c1", "--bundle", "/b", "--runtime", "runc", "--log-path", "/l", "--exit-file",
                             "/e", "--socket-dir", "/s", "--create-timeout", "-5"})
                   .ok());
  EXPECT_THAT(std::string(ParseOptions({"--id", "c1", "--bundle", "/b", "--shim", "shim", "--shim-address", "/a",
                                        "--state-dir", "/st", "--log-path", "/l", "--exit-file", "/e",
                                        "--socket-dir", "/s", "--run"})
                              .status()
                              .message()),
              HasSubstr("--run goes with --runtime"));
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
  EXPECT_FALSE(options->direct_exec);
}

TEST(ParseOptions, DirectExecWantsTheBundle) {
  const std::vector<std::string> exec = {"--exec", "--id", "c1", "--runtime", "runc", "--process-spec", "/p.json",
                                         "--stdout-file", "/o", "--stderr-file", "/e", "--direct-exec"};
  EXPECT_THAT(std::string(ParseOptions(exec).status().message()), HasSubstr("--bundle is required"));
  std::vector<std::string> with_bundle = exec;
  with_bundle.insert(with_bundle.end(), {"--bundle", "/state/c1"});
  absl::StatusOr<MonitorOptions> options = ParseOptions(with_bundle);
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->direct_exec);
  EXPECT_EQ(options->bundle, "/state/c1");
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

TEST(ParseOptions, ShimMode) {
  absl::StatusOr<MonitorOptions> options = ParseOptions(
      {"--id", "c1", "--bundle", "/b", "--shim", "containerd-shim-runc-v2", "--shim-address", "/run/x/cloison.sock",
       "--shim-ttrpc-address=/run/x/events.sock", "--shim-config-path", "/etc/kata/configuration.toml",
       "--state-dir", "/st", "--shim-log", "/pod/shim.log", "--log-path", "/l", "--exit-file", "/e", "--socket-dir",
       "/s", "--stdin", "--tty"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_FALSE(options->exec);
  EXPECT_EQ(options->shim, "containerd-shim-runc-v2");
  EXPECT_TRUE(options->runtime.empty());
  EXPECT_EQ(options->shim_namespace, "cloison");  // the default
  EXPECT_EQ(options->shim_address, "/run/x/cloison.sock");
  EXPECT_EQ(options->shim_ttrpc_address, "/run/x/events.sock");
  EXPECT_EQ(options->shim_config_path, "/etc/kata/configuration.toml");
  EXPECT_EQ(options->state_dir, "/st");
  EXPECT_EQ(options->shim_log, "/pod/shim.log");
  EXPECT_TRUE(options->stdin_open && options->tty);

  options = ParseOptions({"--id", "c1", "--bundle", "/b", "--shim", "s", "--shim-namespace", "k8s.io",
                          "--shim-address", "/a", "--state-dir", "/st", "--shim-log", "/sl", "--log-path", "/l",
                          "--exit-file", "/e", "--socket-dir", "/s"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->shim_namespace, "k8s.io");
  EXPECT_TRUE(options->shim_ttrpc_address.empty());
}

TEST(ParseOptions, ShimModeErrors) {
  const std::vector<std::string> base = {"--id", "c1", "--bundle", "/b", "--shim", "s", "--log-path", "/l",
                                         "--exit-file", "/e", "--socket-dir", "/s"};
  auto with = [&](std::initializer_list<std::string> extra) {
    std::vector<std::string> args = base;
    args.insert(args.end(), extra);
    return std::string(ParseOptions(args).status().message());
  };
  EXPECT_THAT(with({"--state-dir", "/st"}), HasSubstr("--shim-address is required"));
  EXPECT_THAT(with({"--shim-address", "/a"}), HasSubstr("--state-dir is required"));
  EXPECT_THAT(with({"--shim-address", "/a", "--state-dir", "/st"}), HasSubstr("--shim-log is required"));
  EXPECT_THAT(with({"--shim-address", "/a", "--state-dir", "/st", "--runtime", "runc"}),
              HasSubstr("--shim and --runtime exclude each other"));
  EXPECT_THAT(with({"--shim-address", "/a", "--state-dir", "/st", "--shim-namespace", ""}),
              HasSubstr("--shim-namespace is required"));
  EXPECT_THAT(std::string(ParseOptions({"--exec", "--id", "c", "--shim", "s", "--runtime", "r", "--process-spec",
                                        "/p", "--stdout-file", "/o", "--stderr-file", "/e"})
                              .status()
                              .message()),
              HasSubstr("--exec runs through --runtime, not --shim"));
}

TEST(ParseOptions, ShimExecMode) {
  absl::StatusOr<MonitorOptions> options =
      ParseOptions({"--shim-exec", "--id", "c1", "--shim-address", "unix:///run/x.sock", "--process-spec", "/p.json",
                    "--state-dir", "/st"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_TRUE(options->shim_exec);
  EXPECT_EQ(options->shim_address, "unix:///run/x.sock");
  EXPECT_EQ(options->process_spec, "/p.json");
  EXPECT_EQ(options->state_dir, "/st");
  EXPECT_THAT(std::string(ParseOptions({"--shim-exec", "--id", "c1", "--shim-address", "/a", "--state-dir", "/st"})
                              .status()
                              .message()),
              HasSubstr("--process-spec is required"));
  EXPECT_THAT(std::string(ParseOptions({"--shim-exec", "--exec", "--id", "c1", "--shim-address", "/a",
                                        "--process-spec", "/p", "--state-dir", "/st"})
                              .status()
                              .message()),
              HasSubstr("--shim-exec excludes"));
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
