#include "cloison/image/image_manager.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "cloison/image/image_store.h"
#include "test_tmpdir.h"

namespace cloison::image {
namespace {

using ::cloison::testing::TempDir;
using ::testing::HasSubstr;

const std::string kId = "sha256:" + std::string(64, 'a');

// An image manager over a store holding one image record (no blobs) with `tags`.
class ImageManagerTest : public ::testing::Test {
 protected:
  void Start(const std::vector<std::string>& tags) {
    ImageStore store(dir_.path().string() + "/records");
    ASSERT_TRUE(store.Load().ok());
    ImageRecord record;
    record.id = kId;
    record.repo_tags = tags;
    ASSERT_TRUE(store.Save(record).ok());
    manager_ = std::make_unique<ImageManager>(dir_.path().string(), config::ImageConfig());
    ASSERT_TRUE(manager_->Start().ok());
  }

  TempDir dir_;
  std::unique_ptr<ImageManager> manager_;
};

// The in-use check may call back into the image manager: it runs with no lock held.
TEST_F(ImageManagerTest, ImageInUseIsFailedPreconditionNamingIt) {
  Start({"registry.test/app:1"});
  int checks = 0;
  manager_->SetInUseCheck([&](const std::string& id) {
    ++checks;
    EXPECT_EQ(id, kId);
    EXPECT_EQ(manager_->List().size(), 1u);
    return true;
  });
  const absl::Status status = manager_->Remove("registry.test/app:1");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(kId));
  EXPECT_THAT(status.message(), HasSubstr("registry.test/app:1"));
  EXPECT_EQ(checks, 1);
  EXPECT_TRUE(manager_->Find(kId).ok());
}

TEST_F(ImageManagerTest, ImageNotInUseIsRemovedAndTheUsageFollows) {
  Start({"registry.test/app:1"});
  manager_->SetInUseCheck([&](const std::string& id) { return !manager_->Find(id).ok(); });
  const StoreUsage before = manager_->Usage();
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used);
  ASSERT_TRUE(manager_->Remove(kId).ok());
  EXPECT_TRUE(absl::IsNotFound(manager_->Find(kId).status()));
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used - 1);  // the record file went
  EXPECT_TRUE(absl::IsNotFound(manager_->Remove(kId)));
}

TEST_F(ImageManagerTest, RemovingOneOfSeveralTagsOnlyUntagsEvenInUse) {
  Start({"registry.test/app:1", "registry.test/app:2"});
  int checks = 0;
  manager_->SetInUseCheck([&](const std::string&) {
    ++checks;
    return true;
  });
  ASSERT_TRUE(manager_->Remove("registry.test/app:1").ok());
  absl::StatusOr<ImageRecord> record = manager_->Find(kId);
  ASSERT_TRUE(record.ok());
  EXPECT_THAT(record->repo_tags, ::testing::ElementsAre("registry.test/app:2"));
  EXPECT_EQ(checks, 0);
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Remove("registry.test/app:2")));
  EXPECT_EQ(checks, 1);
}

}  // namespace
}  // namespace cloison::image
