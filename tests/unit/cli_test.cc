#include "cli.h"

#include <gtest/gtest.h>

namespace cloison::cloisond {
namespace {

TEST(CommandLine, ServeWithFlagsInBothForms) {
  absl::StatusOr<Invocation> inv = ParseCommandLine(
      {"--config", "/c.toml", "--config-dir=/d", "--listen", "unix:///x.sock", "--root=/r",
       "--state", "/s", "--log-level=debug"});
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_EQ(inv->command, Command::kServe);
  EXPECT_EQ(inv->sources.config_file, "/c.toml");
  EXPECT_EQ(inv->sources.config_dir, "/d");
  EXPECT_EQ(inv->sources.listen, "unix:///x.sock");
  EXPECT_EQ(inv->sources.root, "/r");
  EXPECT_EQ(inv->sources.state, "/s");
  EXPECT_EQ(inv->sources.log_level, "debug");
}

TEST(CommandLine, Subcommands) {
  EXPECT_EQ(ParseCommandLine({"config", "--root", "/r"})->command, Command::kPrintConfig);
  EXPECT_EQ(ParseCommandLine({"check-handlers", "--state", "/s"})->command, Command::kCheckHandlers);
  EXPECT_EQ(ParseCommandLine({"--version"})->command, Command::kVersion);
  EXPECT_EQ(ParseCommandLine({"--help"})->command, Command::kHelp);
}

TEST(CommandLine, RejectsUnknownArgumentsAndMissingValues) {
  absl::StatusOr<Invocation> inv = ParseCommandLine({"--frobnicate"});
  ASSERT_FALSE(inv.ok());
  EXPECT_NE(std::string(inv.status().message()).find("--frobnicate"), std::string::npos);
  inv = ParseCommandLine({"--root"});
  ASSERT_FALSE(inv.ok());
  EXPECT_EQ(inv.status().message(), "--root needs a value");
}

}  // namespace
}  // namespace cloison::cloisond
