#include "cloison/server/cri_list_wire.h"

#include "cloison/server/cri_views.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

namespace {

// The answer of one list: the records `for_each` visits that match `filter`, each as `fill`
// renders it into an `Item`, cached by the record's state.
template <typename Item, typename Record, typename Filter>
std::string ListWire(WireListCache& cache, const Filter& filter,
                     absl::FunctionRef<void(absl::FunctionRef<void(const Record&)>)> for_each,
                     void (*fill)(const Record&, Item&)) {
  WireListCache::Walk walk(cache);
  for_each([&](const Record& record) {
    walk.Count();
    if (!MatchesFilter(record, filter)) return;
    walk.Append(record.id, static_cast<int64_t>(record.state), [&](std::string& out) {
      Item item;
      fill(record, item);
      item.SerializeToString(&out);
    });
  });
  return walk.Finish();
}

}  // namespace

std::string ListContainersWire(WireListCache& cache, const v1::ContainerFilter& filter,
                               absl::FunctionRef<void(ContainerVisitor)> for_each) {
  return ListWire<v1::Container, container::ContainerRecord>(cache, filter, for_each, FillContainer);
}

std::string ListPodSandboxWire(WireListCache& cache, const v1::PodSandboxFilter& filter,
                               absl::FunctionRef<void(SandboxVisitor)> for_each) {
  return ListWire<v1::PodSandbox, sandbox::SandboxRecord>(cache, filter, for_each, FillPodSandbox);
}

}  // namespace cloison::server
