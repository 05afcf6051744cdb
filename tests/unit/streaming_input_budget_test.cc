// InputBudget: holds once more than the limit is taken, resumes once at most half is left, and
// tells each change once.
#include "cloison/streaming/input_budget.h"

#include <gtest/gtest.h>

#include <vector>

namespace cloison::streaming {
namespace {

TEST(InputBudget, HoldsPastTheLimitAndResumesAtHalf) {
  std::vector<bool> calls;
  InputBudget budget(100, [&](bool hold) { calls.push_back(hold); });
  budget.Take(60);
  budget.Take(40);  // exactly the limit: still reading
  EXPECT_TRUE(calls.empty());
  budget.Take(1);
  EXPECT_EQ(calls, std::vector<bool>({true}));
  budget.Take(500);  // already holding: said once
  budget.Give(500);
  budget.Give(1);
  EXPECT_EQ(calls, std::vector<bool>({true}));  // 100 left: above half
  budget.Give(49);
  EXPECT_EQ(calls, std::vector<bool>({true}));  // 51 left
  budget.Give(1);
  EXPECT_EQ(calls, std::vector<bool>({true, false}));  // 50: half
  EXPECT_EQ(budget.held(), 50);
  budget.Give(50);
  EXPECT_EQ(calls, std::vector<bool>({true, false}));
}

TEST(InputBudget, GiveLaterGivesBackOnlyWhileTheBudgetLives) {
  std::vector<bool> calls;
  std::function<void()> give_back;
  {
    InputBudget budget(10, [&](bool hold) { calls.push_back(hold); });
    budget.Take(20);
    give_back = budget.GiveLater(15);
    EXPECT_EQ(budget.held(), 20);
    give_back();
    EXPECT_EQ(budget.held(), 5);
    EXPECT_EQ(calls, std::vector<bool>({true, false}));
    give_back = budget.GiveLater(5);
  }
  give_back();  // the budget (its session) is gone: nothing to give back to, and no call
  EXPECT_EQ(calls, std::vector<bool>({true, false}));
}

}  // namespace
}  // namespace cloison::streaming
