// OutputRelay: the container's output into the CRI log and to attach clients, and its drain
// once the container exited. Also the descriptor helpers of process.h its pipes and FIFOs come
// from, and the SIGCHLD signalfd that wakes the monitor's loop.
#include "cloison/monitor/output_relay.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

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

// The monitor's drain once the container exited: poll rounds of at most DrainTimeoutMs() until
// Drained(). Whether it ended within `guard` (the rule's own bound is kDrainLimit; the guard
// leaves room for a loaded machine).
bool DrainEnds(OutputRelay& relay, std::chrono::milliseconds guard_after = std::chrono::minutes(1)) {
  const auto guard = std::chrono::steady_clock::now() + guard_after;
  while (!relay.Drained()) {
    if (std::chrono::steady_clock::now() > guard) return false;
    PollSet poll;
    relay.Watch(poll);
    poll.Run(relay.DrainTimeoutMs());
  }
  return true;
}

// A relay whose stdout is the read end of a pipe; the write end is returned, held open.
util::UniqueFd RelayStdout(OutputRelay& relay, const std::string& log) {
  EXPECT_TRUE(relay.OpenLog(log).ok());
  absl::StatusOr<Pipe> out = MakePipe();
  EXPECT_TRUE(out.ok());
  if (!out.ok()) return util::UniqueFd();
  EXPECT_TRUE(SetNonBlocking(out->read.get()).ok());
  relay.SetOutput(0, std::move(out->read));
  return std::move(out->write);
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

TEST(OutputRelay, AnIdleStreamEndsTheDrainWithoutEof) {
  testing::TempDir dir;
  AttachHub attach(false, false);
  OutputRelay relay(attach);
  const util::UniqueFd writer = RelayStdout(relay, (dir.path() / "container.log").string());
  ASSERT_TRUE(writer.valid());  // held open: a process outside the container keeps the stream

  relay.StartDrain();
  const int first_timeout = relay.DrainTimeoutMs();
  EXPECT_GE(first_timeout, 0);
  EXPECT_LE(first_timeout, util::kDrainIdle.count());  // idle, not the limit
  ASSERT_TRUE(DrainEnds(relay));
  EXPECT_NE(relay.output(0), -1);  // ended by the idle rule: the stream never reached EOF
  EXPECT_EQ(relay.DrainTimeoutMs(), 0);
}

TEST(OutputRelay, OutputThatNeverStopsEndsTheDrainAtTheLimit) {
  testing::TempDir dir;
  const std::string log = (dir.path() / "container.log").string();
  AttachHub attach(false, false);
  OutputRelay relay(attach);
  const util::UniqueFd writer = RelayStdout(relay, log);
  ASSERT_TRUE(writer.valid());
  ASSERT_EQ(write(writer.get(), "tick\n", 5), 5);
  RunOnce(relay);
  ASSERT_THAT(ReadText(log), HasSubstr(" stdout F tick\n"));

  // A line every 10 ms, far more often than kDrainIdle: only kDrainLimit can end this drain
  // (a writer starved for kDrainIdle by a loaded machine ends it sooner, by the idle rule).
  std::atomic<bool> stop = false;
  std::thread ticker([&] {
    while (!stop) {
      if (write(writer.get(), "tick\n", 5) != 5) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  relay.StartDrain();
  const bool ended = DrainEnds(relay, std::chrono::milliseconds(util::kDrainLimit) + std::chrono::seconds(10));
  stop = true;
  ticker.join();
  ASSERT_TRUE(ended) << "the drain went on past kDrainLimit while output kept coming";
  EXPECT_NE(relay.output(0), -1);
  EXPECT_EQ(relay.DrainTimeoutMs(), 0);
}

TEST(WriteAll, WritesMoreThanAPipeHoldsAtOnce) {
  absl::StatusOr<Pipe> pipe = MakePipe();
  ASSERT_TRUE(pipe.ok()) << pipe.status();
  const std::string data(1 << 20, 'x');  // a pipe holds 64 KiB: the writes are partial
  std::string read_back;
  std::thread reader([&] {
    char buffer[8192];
    for (ssize_t n; (n = read(pipe->read.get(), buffer, sizeof(buffer))) > 0;) {
      read_back.append(buffer, static_cast<size_t>(n));
    }
  });
  EXPECT_TRUE(WriteAll(pipe->write.get(), data));
  pipe->write.reset();
  reader.join();
  EXPECT_EQ(read_back.size(), data.size());
  EXPECT_FALSE(WriteAll(-1, "x"));
  EXPECT_TRUE(WriteAll(-1, ""));
}

TEST(MakeFifo, ReplacesAStaleFileAndOpensNonBlocking) {
  testing::TempDir dir;
  const std::string path = dir.Write("stdout", "stale");
  absl::StatusOr<util::UniqueFd> fifo = MakeFifo(path, O_RDWR);
  ASSERT_TRUE(fifo.ok()) << fifo.status();
  struct stat st {};
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(fcntl(fifo->get(), F_GETFL) & O_NONBLOCK);
  EXPECT_TRUE(fcntl(fifo->get(), F_GETFD) & FD_CLOEXEC);

  const absl::Status missing = MakeFifo((dir.path() / "no-dir/stdin").string(), O_RDWR).status();
  EXPECT_TRUE(absl::IsInternal(missing)) << missing;
  EXPECT_THAT(missing.message(), HasSubstr("mkfifo " + (dir.path() / "no-dir/stdin").string() + ": "));
}

TEST(ChildSignalFd, BecomesReadableWhenAChildExitsUntilDrained) {
  sigset_t mask_before;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask_before);
  absl::StatusOr<util::UniqueFd> signals = OpenChildSignalFd();
  ASSERT_TRUE(signals.ok()) << signals.status();
  const pid_t child = fork();
  if (child == 0) _exit(0);
  pollfd ready{signals->get(), POLLIN, 0};
  EXPECT_EQ(poll(&ready, 1, 60 * 1000), 1);
  DrainSignalFd(signals->get());
  ready.revents = 0;
  EXPECT_EQ(poll(&ready, 1, 0), 0);
  EXPECT_EQ(waitpid(child, nullptr, 0), child);
  pthread_sigmask(SIG_SETMASK, &mask_before, nullptr);
}

}  // namespace
}  // namespace cloison::monitor
