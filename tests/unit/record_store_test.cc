// state::RecordStore: Save and SaveMarker both replace the record LoadAll returns; Start drops
// temporary leftovers; Delete removes the record; LoadAll reports the records it cannot use.
#include "cloison/state/record_store.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "cloison/state/record_integers.h"
#include "gtest/gtest.h"
#include "test_tmpdir.h"

namespace cloison::state {
namespace {

TEST(RecordStoreTest, MarkerThenSaveLoadsTheLastWrite) {
  testing::TempDir dir;
  RecordStore store((dir.path() / "containers").string());
  ASSERT_TRUE(store.Start().ok());
  ASSERT_TRUE(store.SaveMarker("c1", {{"state", "creating"}}).ok());
  std::map<std::string, std::string> errors;
  std::map<std::string, nlohmann::json> records = store.LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records["c1"]["state"], "creating");

  ASSERT_TRUE(store.Save("c1", {{"state", "created"}}).ok());
  records = store.LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records["c1"]["state"], "created");
  EXPECT_TRUE(errors.empty());

  ASSERT_TRUE(store.Delete("c1").ok());
  EXPECT_TRUE(store.LoadAll(&errors).empty());
}

TEST(RecordStoreTest, StartDropsTemporaryLeftovers) {
  testing::TempDir dir;
  dir.Write("sandboxes/p1.json", "{\"state\":\"ready\"}");
  const std::string leftover = dir.Write("sandboxes/p2.json.tmp-abcdef", "{\"sta");
  RecordStore store((dir.path() / "sandboxes").string());
  ASSERT_TRUE(store.Start().ok());
  EXPECT_FALSE(std::filesystem::exists(leftover));
  std::map<std::string, std::string> errors;
  const std::map<std::string, nlohmann::json> records = store.LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records.at("p1")["state"], "ready");
}

TEST(RecordStoreTest, LoadAllReportsUnusableRecordsByPath) {
  testing::TempDir dir;
  dir.Write("sandboxes/good.json", "{\"state\":\"ready\"}");
  const std::string truncated = dir.Write("sandboxes/truncated.json", "{\"sta");
  const std::string array = dir.Write("sandboxes/array.json", "[1]");
  const std::string unreadable = (dir.path() / "sandboxes/dir.json").string();
  std::filesystem::create_directory(unreadable);  // open succeeds, read fails with EISDIR
  RecordStore store((dir.path() / "sandboxes").string());
  std::map<std::string, std::string> errors;
  const std::map<std::string, nlohmann::json> records = store.LoadAll(&errors);
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records.at("good")["state"], "ready");
  ASSERT_EQ(errors.size(), 3u);
  EXPECT_EQ(errors[truncated], truncated + " is not a JSON object");
  EXPECT_EQ(errors[array], array + " is not a JSON object");
  EXPECT_EQ(errors[unreadable], "read " + unreadable + ": " + std::strerror(EISDIR));
}

TEST(RecordIntegersTest, DamagedNumbersAreDataLossNotUndefined) {
  // get<int>() of 1e300 is undefined behaviour; records read at recovery go through this.
  const nlohmann::json record = nlohmann::json::parse(
      R"({"pid": 42, "createdAt": 1700000000000000000, "big": 3000000000, "float": 1e300, "text": "7", "null": null})");
  int pid = 0;
  int64_t created = 0;
  RecordIntegers good(record, "container c1 record");
  good.Read("pid", pid);
  good.Read("createdAt", created);
  ASSERT_TRUE(good.status().ok()) << good.status();
  EXPECT_EQ(pid, 42);
  EXPECT_EQ(created, 1700000000000000000);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"big", "container c1 record: \"big\" is out of range: 3000000000"},
      {"float", "container c1 record: \"float\" must be an integer, not number"},
      {"text", "container c1 record: \"text\" must be an integer, not string"},
      {"null", "container c1 record: \"null\" is missing"},
      {"absent", "container c1 record: \"absent\" is missing"}};
  for (const auto& [key, message] : cases) {
    int out = -1;
    RecordIntegers bad(record, "container c1 record");
    bad.Read(key.c_str(), out);
    bad.Read("pid", out);  // after a failure nothing more is read
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kDataLoss) << key;
    EXPECT_EQ(bad.status().message(), message);
    EXPECT_EQ(out, -1) << key;
  }
}

}  // namespace
}  // namespace cloison::state
