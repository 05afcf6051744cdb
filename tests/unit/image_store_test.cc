// image::ImageStore: records saved are loaded back; Load skips the records it cannot use (not
// JSON, not an object, missing fields, a file it cannot read) and keeps the others.
#include "cloison/image/image_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

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

}  // namespace
}  // namespace cloison::image
