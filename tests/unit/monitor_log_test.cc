#include "cloison/monitor/cri_log_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "test_tmpdir.h"

namespace cloison::monitor {
namespace {

using ::testing::ElementsAre;

struct Record {
  std::string stream;
  std::string tag;
  std::string content;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Record& r) {
  return out << r.stream << " " << r.tag << " [" << r.content.substr(0, 40) << "] (" << r.content.size() << " bytes)";
}

// Reads a CRI log, checking each line's timestamp format.
std::vector<Record> ReadLog(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<Record> records;
  const std::regex line_format(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (stdout|stderr) ([FP]) ([\s\S]*)$)");
  for (std::string line; std::getline(in, line);) {
    std::smatch match;
    EXPECT_TRUE(std::regex_match(line, match, line_format)) << line.substr(0, 80);
    if (!match.empty()) records.push_back(Record{match[1], match[2], match[3]});
  }
  return records;
}

timespec At(time_t seconds, long nanos = 0) { return timespec{seconds, nanos}; }

class CriLogWriterTest : public ::testing::Test {
 protected:
  CriLogWriter Open() {
    absl::StatusOr<CriLogWriter> writer = CriLogWriter::Open(path_.string());
    EXPECT_TRUE(writer.ok()) << writer.status();
    return std::move(*writer);
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "pods" / "c" / "0.log";
};

TEST(FormatRfc3339Nano, UtcWithNineDigits) {
  EXPECT_EQ(FormatRfc3339Nano(At(1795890001, 123456789)), "2026-11-28T18:20:01.123456789Z");
  EXPECT_EQ(FormatRfc3339Nano(At(0, 5)), "1970-01-01T00:00:00.000000005Z");
  EXPECT_EQ(FormatRfc3339Nano(At(1795890001)), "2026-11-28T18:20:01.000000000Z");
}

TEST_F(CriLogWriterTest, CreatesParentsAndFileWithMode0640) {
  CriLogWriter writer = Open();
  struct stat st{};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST_F(CriLogWriterTest, CompleteLinesAreTaggedF) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "hello\nworld\n", At(1)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "\n", At(2)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "hello"}, Record{"stdout", "F", "world"},
                                          Record{"stdout", "F", ""}));
}

TEST_F(CriLogWriterTest, TimestampIsTheWriteTime) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStderr, "x\n", At(1795890001, 42)).ok());
  std::ifstream in(path_);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "2026-11-28T18:20:01.000000042Z stderr F x");
}

TEST_F(CriLogWriterTest, PartialDataWaitsForItsNewline) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "hel", At(1)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre());
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "lo\nnext", At(2)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "hello"}));
  ASSERT_TRUE(writer.Flush(LogStream::kStdout, At(3)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "hello"}, Record{"stdout", "P", "next"}));
  ASSERT_TRUE(writer.Flush(LogStream::kStdout, At(4)).ok());  // nothing left
  EXPECT_EQ(ReadLog(path_).size(), 2u);
}

TEST_F(CriLogWriterTest, FlushedPartialThenCompletion) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "abc", At(1)).ok());
  ASSERT_TRUE(writer.Flush(LogStream::kStdout, At(1)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "def\n", At(2)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "P", "abc"}, Record{"stdout", "F", "def"}));
}

TEST_F(CriLogWriterTest, LongLinesAreSplitInto16KiBPieces) {
  CriLogWriter writer = Open();
  constexpr size_t kMax = CriLogWriter::kMaxLineSize;
  const std::string exact(kMax, 'e');
  const std::string long_line = std::string(kMax, 'a') + std::string(kMax, 'b') + "tail";
  ASSERT_TRUE(writer.Write(LogStream::kStdout, exact + "\n", At(1)).ok());
  // The long line arrives in small chunks, like pipe reads.
  const std::string input = long_line + "\n";
  for (size_t offset = 0; offset < input.size(); offset += 1000) {
    ASSERT_TRUE(writer.Write(LogStream::kStdout, absl::string_view(input).substr(offset, 1000), At(2)).ok());
  }
  EXPECT_THAT(ReadLog(path_),
              ElementsAre(Record{"stdout", "F", exact}, Record{"stdout", "P", std::string(kMax, 'a')},
                          Record{"stdout", "P", std::string(kMax, 'b')}, Record{"stdout", "F", "tail"}));
}

TEST_F(CriLogWriterTest, UnterminatedOutputIsWrittenOncePastTheLimit) {
  CriLogWriter writer = Open();
  constexpr size_t kMax = CriLogWriter::kMaxLineSize;
  ASSERT_TRUE(writer.Write(LogStream::kStderr, std::string(kMax, 'x'), At(1)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre());  // exactly the limit: may still end with a newline
  ASSERT_TRUE(writer.Write(LogStream::kStderr, "y", At(2)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stderr", "P", std::string(kMax, 'x')}));
  ASSERT_TRUE(writer.Flush(LogStream::kStderr, At(3)).ok());
  EXPECT_THAT(ReadLog(path_),
              ElementsAre(Record{"stderr", "P", std::string(kMax, 'x')}, Record{"stderr", "P", "y"}));
}

TEST_F(CriLogWriterTest, StreamsAreBufferedSeparately) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "out-", At(1)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStderr, "err-", At(1)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStderr, "one\nerr-two", At(2)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "one\n", At(3)).ok());
  ASSERT_TRUE(writer.Write(LogStream::kStderr, "\n", At(4)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stderr", "F", "err-one"}, Record{"stdout", "F", "out-one"},
                                          Record{"stderr", "F", "err-two"}));
}

TEST_F(CriLogWriterTest, KeepsRawBytesIncludingCarriageReturns) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "tty line\r\n", At(1)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "tty line\r"}));
}

TEST_F(CriLogWriterTest, ReopenAfterRenameStartsANewFile) {
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "before\npart", At(1)).ok());
  const std::filesystem::path rotated = path_.string() + ".20261128-182001";
  std::filesystem::rename(path_, rotated);
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "ial\n", At(2)).ok());  // still the renamed file
  ASSERT_TRUE(writer.Reopen().ok());
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "after\n", At(3)).ok());
  EXPECT_THAT(ReadLog(rotated), ElementsAre(Record{"stdout", "F", "before"}, Record{"stdout", "F", "partial"}));
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "after"}));
}

TEST_F(CriLogWriterTest, AppendsToAnExistingLog) {
  dir_.Write("pods/c/0.log", "2026-01-01T00:00:00.000000000Z stdout F old\n");
  CriLogWriter writer = Open();
  ASSERT_TRUE(writer.Write(LogStream::kStdout, "new\n", At(1)).ok());
  EXPECT_THAT(ReadLog(path_), ElementsAre(Record{"stdout", "F", "old"}, Record{"stdout", "F", "new"}));
}

}  // namespace
}  // namespace cloison::monitor
