// Wire-level checks of proto/runtime/v1/api.proto against the CRI v1 contract.
//
// These tests serialize real messages and decode the tags from the bytes
// (key = field_number << 3 | wire_type), so they fail if a field number or a
// field type drifts from what kubelet sends, even when the generated accessors
// still compile. One test also checks the service descriptors.
//
// Include order matters: the CRI `Signal` enum has values named SIGTERM,
// SIGKILL, ... which collide with the <signal.h> macros. api.pb.h therefore
// comes first, and this file never spells runtime::v1::SIG* directly (gtest
// may pull in <signal.h> after it); it goes through Signal_Parse instead.
#include "cloison/cri/api.h"

#include <gtest/gtest.h>

#include <google/protobuf/descriptor.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

namespace v1 = runtime::v1;

// Protobuf wire types.
constexpr std::uint32_t kWireVarint = 0;
constexpr std::uint32_t kWireFixed64 = 1;
constexpr std::uint32_t kWireLengthDelimited = 2;
constexpr std::uint32_t kWireFixed32 = 5;

// One top-level field occurrence in a serialized message.
struct WireField {
  std::uint32_t number = 0;
  std::uint32_t wire_type = 0;
  std::uint64_t varint = 0;  // value, for wire type 0
  std::string payload;       // raw bytes, for wire types 1, 2 and 5
};

bool ReadVarint(std::string_view buf, std::size_t& pos, std::uint64_t& out) {
  out = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (pos >= buf.size()) {
      return false;
    }
    const auto byte = static_cast<unsigned char>(buf[pos++]);
    out |= static_cast<std::uint64_t>(byte & 0x7fU) << shift;
    if ((byte & 0x80U) == 0) {
      return true;
    }
  }
  return false;
}

// Walks the top-level fields of a serialized message. Records a test failure
// and returns what it has so far if the buffer is malformed.
std::vector<WireField> TopLevelFields(std::string_view buf) {
  std::vector<WireField> fields;
  std::size_t pos = 0;
  while (pos < buf.size()) {
    std::uint64_t key = 0;
    if (!ReadVarint(buf, pos, key)) {
      ADD_FAILURE() << "truncated key at offset " << pos;
      return fields;
    }
    WireField f;
    f.number = static_cast<std::uint32_t>(key >> 3);
    f.wire_type = static_cast<std::uint32_t>(key & 7U);
    switch (f.wire_type) {
      case kWireVarint:
        if (!ReadVarint(buf, pos, f.varint)) {
          ADD_FAILURE() << "truncated varint for field " << f.number;
          return fields;
        }
        break;
      case kWireFixed64:
      case kWireFixed32: {
        const std::size_t n = f.wire_type == kWireFixed64 ? 8 : 4;
        if (buf.size() - pos < n) {
          ADD_FAILURE() << "truncated fixed field " << f.number;
          return fields;
        }
        f.payload = std::string(buf.substr(pos, n));
        pos += n;
        break;
      }
      case kWireLengthDelimited: {
        std::uint64_t len = 0;
        if (!ReadVarint(buf, pos, len) || buf.size() - pos < len) {
          ADD_FAILURE() << "bad length for field " << f.number;
          return fields;
        }
        f.payload = std::string(buf.substr(pos, static_cast<std::size_t>(len)));
        pos += static_cast<std::size_t>(len);
        break;
      }
      default:
        ADD_FAILURE() << "unexpected wire type " << f.wire_type << " for field " << f.number;
        return fields;
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

std::vector<WireField> FieldsOf(const google::protobuf::MessageLite& msg) {
  std::string bytes;
  EXPECT_TRUE(msg.SerializeToString(&bytes));
  return TopLevelFields(bytes);
}

// Asserts that exactly one top-level field is present and returns it.
WireField OnlyField(const google::protobuf::MessageLite& msg) {
  const auto fields = FieldsOf(msg);
  EXPECT_EQ(fields.size(), 1U);
  return fields.empty() ? WireField{} : fields.front();
}

const WireField* FindField(const std::vector<WireField>& fields, std::uint32_t number) {
  for (const auto& f : fields) {
    if (f.number == number) {
      return &f;
    }
  }
  return nullptr;
}

// ---------------------------------------------------------------- helper self-check

TEST(CriWire, TagWalkerDecodesMultiByteKeys) {
  // Field 18, varint 23: key 18<<3|0 = 144 = 0x90 0x01.
  const std::string buf("\x90\x01\x17", 3);
  const auto fields = TopLevelFields(buf);
  ASSERT_EQ(fields.size(), 1U);
  EXPECT_EQ(fields[0].number, 18U);
  EXPECT_EQ(fields[0].wire_type, kWireVarint);
  EXPECT_EQ(fields[0].varint, 23U);
}

// ---------------------------------------------------------------- sandbox

TEST(CriWire, PodSandboxConfigMetadataIsField1LengthDelimited) {
  v1::PodSandboxConfig cfg;
  cfg.mutable_metadata()->set_name("nginx");
  cfg.mutable_metadata()->set_uid("uid-1");
  const auto f = OnlyField(cfg);
  EXPECT_EQ(f.number, 1U);
  EXPECT_EQ(f.wire_type, kWireLengthDelimited);
  v1::PodSandboxMetadata md;
  ASSERT_TRUE(md.ParseFromString(f.payload));
  EXPECT_EQ(md.name(), "nginx");
}

TEST(CriWire, RunPodSandboxRequestRuntimeHandlerIsField2) {
  v1::RunPodSandboxRequest req;
  req.set_runtime_handler("runsc");
  const auto f = OnlyField(req);
  EXPECT_EQ(f.number, 2U);
  EXPECT_EQ(f.wire_type, kWireLengthDelimited);
  EXPECT_EQ(f.payload, "runsc");
}

// ---------------------------------------------------------------- container config

TEST(CriWire, ContainerConfigLinuxIsField15) {
  v1::ContainerConfig cfg;
  cfg.mutable_linux()->mutable_resources()->set_cpu_shares(512);
  const auto f = OnlyField(cfg);
  EXPECT_EQ(f.number, 15U);
  EXPECT_EQ(f.wire_type, kWireLengthDelimited);
}

TEST(CriWire, ContainerConfigStopSignalIsField18Varint) {
  v1::Signal sigterm{};
  ASSERT_TRUE(v1::Signal_Parse("SIGTERM", &sigterm));
  v1::ContainerConfig cfg;
  cfg.set_stop_signal(sigterm);
  const auto f = OnlyField(cfg);
  EXPECT_EQ(f.number, 18U);
  EXPECT_EQ(f.wire_type, kWireVarint);
  EXPECT_EQ(f.varint, 23U);  // CRI enum value of SIGTERM, not the kernel's 15
}

TEST(CriWire, LinuxContainerSecurityContextSeccompIsField15) {
  v1::LinuxContainerSecurityContext sc;
  sc.mutable_seccomp()->set_profile_type(v1::SecurityProfile::Localhost);
  sc.mutable_seccomp()->set_localhost_ref("/var/lib/kubelet/seccomp/p.json");
  const auto f = OnlyField(sc);
  EXPECT_EQ(f.number, 15U);
  EXPECT_EQ(f.wire_type, kWireLengthDelimited);
}

TEST(CriWire, MountOptionsIsField11Repeated) {
  v1::Mount m;
  m.add_mount_options("noexec");
  m.add_mount_options("nosuid");
  const auto fields = FieldsOf(m);
  ASSERT_EQ(fields.size(), 2U);
  for (const auto& f : fields) {
    EXPECT_EQ(f.number, 11U);
    EXPECT_EQ(f.wire_type, kWireLengthDelimited);
  }
  EXPECT_EQ(fields[0].payload, "noexec");
}

// ---------------------------------------------------------------- env values are bytes

TEST(CriWire, KeyValueValueIsBytesAndAcceptsNonUtf8) {
  const std::string raw("\xff\xfe", 2);
  v1::KeyValue kv;
  kv.set_key("BINARY");
  kv.set_value(raw);

  std::string bytes;
  ASSERT_TRUE(kv.SerializeToString(&bytes));
  const auto fields = TopLevelFields(bytes);
  const WireField* value = FindField(fields, 2);
  ASSERT_NE(value, nullptr);
  EXPECT_EQ(value->wire_type, kWireLengthDelimited);
  EXPECT_EQ(value->payload, raw);

  v1::KeyValue back;
  ASSERT_TRUE(back.ParseFromString(bytes));  // a `string` field would reject this
  EXPECT_EQ(back.key(), "BINARY");
  EXPECT_EQ(back.value(), raw);

  EXPECT_EQ(v1::KeyValue::descriptor()->FindFieldByName("value")->type(),
            google::protobuf::FieldDescriptor::TYPE_BYTES);
}

TEST(CriWire, KeyValueParsesHandBuiltNonUtf8Payload) {
  // What a Go client emits for value = []byte{0xff, 0xfe}: key 0x12 (field 2, LEN).
  const std::string wire("\x12\x02\xff\xfe", 4);
  v1::KeyValue kv;
  ASSERT_TRUE(kv.ParseFromString(wire));
  EXPECT_EQ(kv.value(), std::string("\xff\xfe", 2));
}

// ---------------------------------------------------------------- exec

TEST(CriWire, ExecSyncRequestTimeoutIsField3Varint) {
  v1::ExecSyncRequest req;
  req.set_timeout(10);
  const auto f = OnlyField(req);
  EXPECT_EQ(f.number, 3U);
  EXPECT_EQ(f.wire_type, kWireVarint);
  EXPECT_EQ(f.varint, 10U);
}

// ---------------------------------------------------------------- status / features

TEST(CriWire, StatusResponseRuntimeHandlersIs3AndFeaturesIs4) {
  v1::StatusResponse resp;
  resp.add_runtime_handlers()->set_name("runc");
  resp.mutable_features()->set_supplemental_groups_policy(true);
  const auto fields = FieldsOf(resp);
  ASSERT_EQ(fields.size(), 2U);
  EXPECT_EQ(fields[0].number, 3U);
  EXPECT_EQ(fields[0].wire_type, kWireLengthDelimited);
  EXPECT_EQ(fields[1].number, 4U);
  EXPECT_EQ(fields[1].wire_type, kWireLengthDelimited);
}

TEST(CriWire, RuntimeFeaturesFieldNumbers) {
  v1::RuntimeFeatures feat;
  feat.set_supplemental_groups_policy(true);
  feat.set_user_namespaces_host_network(true);
  feat.set_mount_options(true);
  const auto fields = FieldsOf(feat);
  ASSERT_EQ(fields.size(), 3U);
  for (std::uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(fields[i].number, i + 1);
    EXPECT_EQ(fields[i].wire_type, kWireVarint);
    EXPECT_EQ(fields[i].varint, 1U);
  }
}

// ---------------------------------------------------------------- image fs

TEST(CriWire, ImageFsInfoResponseContainerFilesystemsIsField2) {
  v1::ImageFsInfoResponse resp;
  resp.add_container_filesystems()->set_timestamp(1);
  const auto f = OnlyField(resp);
  EXPECT_EQ(f.number, 2U);
  EXPECT_EQ(f.wire_type, kWireLengthDelimited);
}

// ---------------------------------------------------------------- runtime config

TEST(CriWire, RuntimeConfigResponseLinuxIs1AndCgroupDriverIs1) {
  v1::RuntimeConfigResponse resp;
  // CGROUPFS = 1; SYSTEMD = 0 would not be emitted at all in proto3.
  resp.mutable_linux()->set_cgroup_driver(v1::CGROUPFS);
  const auto outer = OnlyField(resp);
  EXPECT_EQ(outer.number, 1U);
  EXPECT_EQ(outer.wire_type, kWireLengthDelimited);

  const auto inner = TopLevelFields(outer.payload);
  ASSERT_EQ(inner.size(), 1U);
  EXPECT_EQ(inner[0].number, 1U);
  EXPECT_EQ(inner[0].wire_type, kWireVarint);
  EXPECT_EQ(inner[0].varint, 1U);
}

// ---------------------------------------------------------------- services

const google::protobuf::ServiceDescriptor* CriService(const char* name) {
  return v1::VersionRequest::descriptor()->file()->FindServiceByName(name);
}

TEST(CriWire, ServiceDescriptorsHaveUpstreamMethods) {
  const auto* rt = CriService("RuntimeService");
  const auto* img = CriService("ImageService");
  ASSERT_NE(rt, nullptr);
  ASSERT_NE(img, nullptr);
  EXPECT_EQ(rt->full_name(), "runtime.v1.RuntimeService");
  EXPECT_EQ(img->full_name(), "runtime.v1.ImageService");

  // Upstream CRI v1 as of the 1.37 cycle: 37 runtime RPCs, 6 image RPCs.
  EXPECT_EQ(rt->method_count(), 37);
  EXPECT_EQ(img->method_count(), 6);

  for (const char* m : {"Version", "RunPodSandbox", "StreamContainers", "UpdatePodSandboxResources",
                        "RuntimeConfig", "CheckpointPod", "RestorePod", "GetContainerEvents"}) {
    EXPECT_NE(rt->FindMethodByName(m), nullptr) << m;
  }
  EXPECT_NE(img->FindMethodByName("StreamImages"), nullptr);
  EXPECT_NE(img->FindMethodByName("ImageFsInfo"), nullptr);

  const auto* stream_containers = rt->FindMethodByName("StreamContainers");
  ASSERT_NE(stream_containers, nullptr);
  EXPECT_TRUE(stream_containers->server_streaming());
  EXPECT_FALSE(stream_containers->client_streaming());
  EXPECT_EQ(stream_containers->input_type()->full_name(), "runtime.v1.StreamContainersRequest");
  EXPECT_EQ(stream_containers->output_type()->full_name(), "runtime.v1.StreamContainersResponse");

  const auto* run = rt->FindMethodByName("RunPodSandbox");
  ASSERT_NE(run, nullptr);
  EXPECT_EQ(run->input_type()->full_name(), "runtime.v1.RunPodSandboxRequest");
  EXPECT_FALSE(run->server_streaming());
}

TEST(CriWire, OnlyTheUpstreamStreamingMethodsStream) {
  std::set<std::string> streaming;
  for (const char* svc : {"RuntimeService", "ImageService"}) {
    const auto* sd = CriService(svc);
    ASSERT_NE(sd, nullptr);
    for (int i = 0; i < sd->method_count(); ++i) {
      const auto* m = sd->method(i);
      EXPECT_FALSE(m->client_streaming()) << m->full_name();
      if (m->server_streaming()) {
        streaming.insert(m->name());
      }
    }
  }
  const std::set<std::string> expected{"StreamPodSandboxes",    "StreamContainers",
                                       "StreamContainerStats",  "StreamPodSandboxStats",
                                       "StreamPodSandboxMetrics", "GetContainerEvents",
                                       "StreamImages"};
  EXPECT_EQ(streaming, expected);
}

}  // namespace
