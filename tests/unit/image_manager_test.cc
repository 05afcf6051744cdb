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

TEST_F(ImageManagerTest, HeldImageIsFailedPreconditionNamingIt) {
  Start({"registry.test/app:1"});
  absl::StatusOr<ImageRecord> held = manager_->FindAndHold("registry.test/app:1");
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->id, kId);
  const absl::Status status = manager_->Remove("registry.test/app:1");
  EXPECT_TRUE(absl::IsFailedPrecondition(status)) << status;
  EXPECT_THAT(status.message(), HasSubstr(kId));
  EXPECT_THAT(status.message(), HasSubstr("registry.test/app:1"));
  EXPECT_TRUE(manager_->Find(kId).ok());
  manager_->Release(kId);
  EXPECT_TRUE(manager_->Remove("registry.test/app:1").ok());
  EXPECT_TRUE(absl::IsNotFound(manager_->FindAndHold("registry.test/app:1").status()));
}

TEST_F(ImageManagerTest, EveryHoldMustBeReleased) {
  Start({"registry.test/app:1"});
  manager_->Hold(kId);  // as recovery does for an existing container
  ASSERT_TRUE(manager_->FindAndHold(kId).ok());
  manager_->Release(kId);
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Remove(kId)));
  manager_->Release(kId);
  EXPECT_TRUE(manager_->Remove(kId).ok());
}

TEST_F(ImageManagerTest, ImageNotHeldIsRemovedAndTheUsageFollows) {
  Start({"registry.test/app:1"});
  const StoreUsage before = manager_->Usage();
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used);
  ASSERT_TRUE(manager_->Remove(kId).ok());
  EXPECT_TRUE(absl::IsNotFound(manager_->Find(kId).status()));
  EXPECT_EQ(manager_->Usage().inodes_used, before.inodes_used - 1);  // the record file went
  EXPECT_TRUE(absl::IsNotFound(manager_->Remove(kId)));
}

TEST_F(ImageManagerTest, RemovingOneOfSeveralTagsOnlyUntagsEvenHeld) {
  Start({"registry.test/app:1", "registry.test/app:2"});
  manager_->Hold(kId);
  ASSERT_TRUE(manager_->Remove("registry.test/app:1").ok());
  absl::StatusOr<ImageRecord> record = manager_->Find(kId);
  ASSERT_TRUE(record.ok());
  EXPECT_THAT(record->repo_tags, ::testing::ElementsAre("registry.test/app:2"));
  EXPECT_TRUE(absl::IsFailedPrecondition(manager_->Remove("registry.test/app:2")));
}

}  // namespace
}  // namespace cloison::image
