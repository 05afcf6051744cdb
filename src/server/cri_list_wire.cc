#include "cloison/server/cri_list_wire.h"

#include "cloison/server/cri_views.h"

namespace cloison::server {

namespace v1 = ::runtime::v1;

std::string ListContainersWire(WireListCache& cache, const v1::ContainerFilter& filter,
                               absl::FunctionRef<void(ContainerVisitor)> for_each) {
  WireListCache::Walk walk(cache);
  for_each([&](const container::ContainerRecord& record) {
    walk.Count();
    if (!MatchesFilter(record, filter)) return;
    walk.Append(record.id, static_cast<int64_t>(record.state), [&](std::string& out) {
      v1::Container item;
      FillContainer(record, item);
      item.SerializeToString(&out);
    });
  });
  return walk.Finish();
}

std::string ListPodSandboxWire(WireListCache& cache, const v1::PodSandboxFilter& filter,
                               absl::FunctionRef<void(SandboxVisitor)> for_each) {
  WireListCache::Walk walk(cache);
  for_each([&](const sandbox::SandboxRecord& record) {
    walk.Count();
    if (!MatchesFilter(record, filter)) return;
    walk.Append(record.id, static_cast<int64_t>(record.state), [&](std::string& out) {
      v1::PodSandbox item;
      FillPodSandbox(record, item);
      item.SerializeToString(&out);
    });
  });
  return walk.Finish();
}

}  // namespace cloison::server
