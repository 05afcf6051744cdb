// util::ReadJsonObjectFile: an object is returned parsed; a missing file is NOT_FOUND; invalid
// JSON and JSON that is not an object are DATA_LOSS with the path in the message.
#include "cloison/util/json_file.h"

#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::util {
namespace {

TEST(JsonFileTest, ReadsAnObject) {
  testing::TempDir dir;
  absl::StatusOr<nlohmann::json> doc = ReadJsonObjectFile(dir.Write("exit", R"({"exit_code": 3, "signal": 9})"));
  ASSERT_TRUE(doc.ok()) << doc.status();
  EXPECT_EQ(doc->value("exit_code", -1), 3);
  EXPECT_EQ(doc->value("signal", 0), 9);
}

TEST(JsonFileTest, MissingFileIsNotFound) {
  testing::TempDir dir;
  absl::StatusOr<nlohmann::json> doc = ReadJsonObjectFile((dir.path() / "absent.json").string());
  EXPECT_TRUE(absl::IsNotFound(doc.status())) << doc.status();
}

TEST(JsonFileTest, NamesTheFileWhenItIsNotAnObject) {
  testing::TempDir dir;
  for (const char* text : {"", "{\"truncated\": ", "[1, 2]", "\"text\"", "42"}) {
    const std::string path = dir.Write("bad.json", text);
    absl::StatusOr<nlohmann::json> doc = ReadJsonObjectFile(path);
    ASSERT_TRUE(absl::IsDataLoss(doc.status())) << text << ": " << doc.status();
    EXPECT_EQ(doc.status().message(), path + " is not a JSON object") << text;
  }
}

}  // namespace
}  // namespace cloison::util
