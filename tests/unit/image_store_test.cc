// image::ImageStore: records saved are loaded back; Load skips the records it cannot use (not
// JSON, not an object, missing fields or fields of another type, a file it cannot read) and
// keeps the others.
#include "cloison/image/image_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "nlohmann/json.hpp"
#include "test_tmpdir.h"

namespace cloison::image {
namespace {

using ::cloison::testing::TempDir;

ImageRecord Record(char hex, const std::string& tag) {
  ImageRecord record;
  record.id = "sha256:" + std::string(64, hex);
  record.repo_tags = {tag};
  record.manifest_digest = "sha256:" + std::string(64, 'f');
  record.layers = {{"sha256:" + std::string(64, 'e'), "application/vnd.oci.image.layer.v1.tar+gzip", 42}};
  record.size = 100;
  record.uid = 1000;
  return record;
}

TEST(ImageStoreTest, LoadReadsBackWhatSaveWrote) {
  TempDir dir;
  const std::string records = dir.path().string() + "/records";
  ImageStore store(records);
  ASSERT_TRUE(store.Load().ok());
  const ImageRecord saved = Record('a', "docker.io/library/busybox:latest");
  ASSERT_TRUE(store.Save(saved).ok());

  ImageStore reloaded(records);
  ASSERT_TRUE(reloaded.Load().ok());
  ASSERT_NE(reloaded.FindById(saved.id), nullptr);
  EXPECT_EQ(*reloaded.FindById(saved.id), saved);
  ASSERT_TRUE(reloaded.Delete(saved.id).ok());
  ImageStore emptied(records);
  ASSERT_TRUE(emptied.Load().ok());
  EXPECT_TRUE(emptied.List().empty());
}

TEST(ImageStoreTest, LoadSkipsUnusableRecordsAndKeepsTheRest) {
  TempDir dir;
  const std::string records = dir.path().string() + "/records";
  {
    ImageStore store(records);
    ASSERT_TRUE(store.Load().ok());
    ASSERT_TRUE(store.Save(Record('b', "docker.io/library/good:1")).ok());
  }
  dir.Write("records/truncated.json", "{\"id\":");
  dir.Write("records/array.json", "[]");
  dir.Write("records/missing-fields.json", "{\"id\":\"sha256:" + std::string(64, 'c') + "\"}");
  std::filesystem::create_directory(dir.path() / "records/directory.json");  // read fails: EISDIR

  ImageStore store(records);
  ASSERT_TRUE(store.Load().ok());
  ASSERT_EQ(store.List().size(), 1u);
  EXPECT_NE(store.FindByName("docker.io/library/good:1"), nullptr);
}

// A record as Save writes it, with `field` (a JSON pointer) replaced by `value`.
// `id` is the last hex digit of its digest.
std::string RecordWith(char id, const std::string& field, nlohmann::json value) {
  nlohmann::json record = {
      {"id", "sha256:" + std::string(63, 'a') + id},
      {"repoTags", {std::string("docker.io/library/x:") + id}},
      {"repoDigests", nlohmann::json::array()},
      {"manifestDigest", "sha256:" + std::string(64, 'f')},
      {"layers", {{{"digest", "sha256:" + std::string(64, 'e')}, {"mediaType", "m"}, {"size", 42}}}},
      {"size", 100},
      {"username", ""},
      {"uid", 1000}};
  record[nlohmann::json::json_pointer(field)] = std::move(value);
  return record.dump();
}

TEST(ImageStoreTest, LoadSkipsRecordsWithFieldsOfAnotherTypeWithoutUndefinedBehaviour) {
  TempDir dir;
  const std::string records = dir.path().string() + "/records";
  dir.Write("records/good.json", RecordWith('0', "/uid", 0));
  // get<int64_t>() of a float out of int64's range was undefined behaviour, of 1.5 a silent 1;
  // the rest threw (caught, but only because FromJson wrapped everything in a try).
  const std::vector<std::pair<std::string, nlohmann::json>> broken = {
      {"/size", 1e300},         {"/size", "100"},       {"/uid", 1.5},
      {"/uid", nullptr},        {"/uid", -1e300},       {"/layers/0/size", 1e300},
      {"/layers/0/size", true}, {"/repoTags/0", 5},     {"/repoDigests", "x"},
      {"/username", 5},         {"/layers", {{"a", 1}}}, {"/id", nullptr},
      {"/size", 18446744073709551615u}};
  constexpr char kIds[] = "123456789abcdef";
  ASSERT_LT(broken.size(), sizeof(kIds));
  for (size_t i = 0; i < broken.size(); ++i) {
    dir.Write(std::string("records/broken-") + kIds[i] + ".json", RecordWith(kIds[i], broken[i].first, broken[i].second));
  }

  ImageStore store(records);
  ASSERT_TRUE(store.Load().ok());
  ASSERT_EQ(store.List().size(), 1u);
  const ImageRecord good = store.List()[0];
  EXPECT_EQ(good.id, "sha256:" + std::string(63, 'a') + "0");
  EXPECT_EQ(good.uid, 0);
  ASSERT_EQ(good.layers.size(), 1u);
  EXPECT_EQ(good.layers[0].size, 42);
}

TEST(ImageStoreTest, RecordWithoutUidHasNone) {
  TempDir dir;
  nlohmann::json record = nlohmann::json::parse(RecordWith('1', "/username", "app"));
  record.erase("uid");
  dir.Write("records/one.json", record.dump());
  ImageStore store(dir.path().string() + "/records");
  ASSERT_TRUE(store.Load().ok());
  ASSERT_EQ(store.List().size(), 1u);
  EXPECT_FALSE(store.List()[0].uid.has_value());
  EXPECT_EQ(store.List()[0].username, "app");
}

}  // namespace
}  // namespace cloison::image
