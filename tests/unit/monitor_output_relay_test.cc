#include "cloison/monitor/output_relay.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cloison/monitor/process.h"
#include "test_tmpdir.h"

namespace cloison::monitor {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string ReadText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// One poll round of `relay` with nothing else watched; waits up to a minute for a ready stream.
void RunOnce(OutputRelay& relay) {
  PollSet poll;
  relay.Watch(poll);
  poll.Run(60 * 1000);
}

TEST(OutputRelay, LogsEachStreamAndEndsItAtEof) {
  testing::TempDir dir;
  const std::string log = (dir.path() / "container.log").string();
  AttachHub attach(false, false);
  OutputRelay relay(attach);
  ASSERT_TRUE(relay.OpenLog(log).ok());
  absl::StatusOr<Pipe> out = MakePipe();
  absl::StatusOr<Pipe> err = MakePipe();
  ASSERT_TRUE(out.ok() && err.ok());
  ASSERT_TRUE(SetNonBlocking(out->read.get()).ok());
  ASSERT_TRUE(SetNonBlocking(err->read.get()).ok());
  relay.SetOutput(0, std::move(out->read));
  relay.SetOutput(1, std::move(err->read));

  ASSERT_EQ(write(out->write.get(), "hello\npart", 10), 10);
  RunOnce(relay);
  EXPECT_THAT(ReadText(log), HasSubstr(" stdout F hello\n"));
  EXPECT_THAT(ReadText(log), Not(HasSubstr("part")));  // an unfinished line waits

  out->write.reset();  // EOF: the stream ends and its unfinished line is written, tagged P
  RunOnce(relay);
  EXPECT_EQ(relay.output(0), -1);
  EXPECT_THAT(ReadText(log), HasSubstr(" stdout P part\n"));
  EXPECT_NE(relay.output(1), -1);

  ASSERT_EQ(write(err->write.get(), "oops", 4), 4);
  RunOnce(relay);
  relay.FlushLog();
  EXPECT_THAT(ReadText(log), HasSubstr(" stderr P oops\n"));
  relay.StartDrain();
  err->write.reset();
  RunOnce(relay);
  EXPECT_EQ(relay.output(1), -1);
  EXPECT_TRUE(relay.Drained());  // both streams ended: nothing left to wait for
}

}  // namespace
}  // namespace cloison::monitor
