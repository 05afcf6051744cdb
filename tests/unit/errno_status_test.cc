// util::SystemCallErrorOf / SystemCallError: INTERNAL (or the code chosen), the operation then strerror of the given
// errno (or of errno).
#include "cloison/util/errno_status.h"

#include <fcntl.h>

#include "gtest/gtest.h"

namespace cloison::util {
namespace {

TEST(ErrnoStatusTest, NamesTheOperationAndTheError) {
  const absl::Status status = SystemCallErrorOf(ENOSPC, "mkdir /run/x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(status.message(), "mkdir /run/x: No space left on device");
}

TEST(ErrnoStatusTest, CarriesTheCodeChosen) {
  const absl::Status status = SystemCallErrorOf(absl::StatusCode::kUnavailable, ECONNREFUSED, "connecting to /run/x.sock");
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(status.message(), "connecting to /run/x.sock: Connection refused");
}

TEST(ErrnoStatusTest, TakesErrnoOfTheFailedCall) {
  ASSERT_LT(open("/nonexistent-cloison-test/file", O_RDONLY | O_CLOEXEC), 0);
  const absl::Status status = SystemCallError("open");
  EXPECT_EQ(status.code(), absl::StatusCode::kInternal);  // not NOT_FOUND: the caller is not to blame
  EXPECT_EQ(status.message(), "open: No such file or directory");
}

}  // namespace
}  // namespace cloison::util
