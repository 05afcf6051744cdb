#include "cloison/util/json_fields.h"

#include <gtest/gtest.h>

namespace cloison::util {
namespace {

using nlohmann::json;

const json kDoc = json::parse(R"({"name": "a", "size": 12, "big": 18446744073709551615, "neg": -3,
                                  "float": 1.5, "flag": true, "none": null, "text": "12"})");

TEST(JsonFields, ReadsFieldsOfTheirType) {
  EXPECT_EQ(StringField(kDoc, "name", "doc").value(), "a");
  EXPECT_EQ(IntegerField(kDoc, "size", "doc").value(), 12);
  EXPECT_EQ(IntegerField(kDoc, "neg", "doc").value(), -3);
  EXPECT_TRUE(BoolField(kDoc, "flag", "doc").value());
}

TEST(JsonFields, MissingOrNullFieldsGiveTheFallback) {
  EXPECT_EQ(StringField(kDoc, "absent", "doc", "dflt").value(), "dflt");
  EXPECT_EQ(StringField(kDoc, "none", "doc", "dflt").value(), "dflt");
  EXPECT_EQ(IntegerField(kDoc, "absent", "doc", -1).value(), -1);
  EXPECT_TRUE(BoolField(kDoc, "none", "doc", true).value());
}

TEST(JsonFields, AFieldOfAnotherTypeIsAnErrorNamingIt) {
  const absl::StatusOr<std::string> name = StringField(kDoc, "size", "manifest layer");
  ASSERT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(name.status().message(), "manifest layer: \"size\" must be a string, not number");
  EXPECT_EQ(IntegerField(kDoc, "text", "doc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IntegerField(kDoc, "float", "doc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(IntegerField(kDoc, "flag", "doc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(BoolField(kDoc, "name", "doc").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(StringField(kDoc, "size", "doc").value_or("ignored"), "ignored");
}

TEST(JsonFields, IntegersBeyondInt64AreOutOfRange) {
  const absl::StatusOr<int64_t> big = IntegerField(kDoc, "big", "doc");
  ASSERT_EQ(big.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(big.status().message().find("out of range"), std::string::npos);
}

TEST(JsonFields, IntegerFieldAsNarrowsToTheTypesRange) {
  EXPECT_EQ(IntegerFieldAs<int>(kDoc, "neg", "doc").value(), -3);
  EXPECT_EQ(IntegerFieldAs<int>(kDoc, "absent", "doc", -1).value(), -1);
  const json wide = json::parse(R"({"pid": 4294967296})");
  EXPECT_EQ(IntegerFieldAs<int64_t>(wide, "pid", "doc").value(), 4294967296);
  const absl::StatusOr<int> narrowed = IntegerFieldAs<int>(wide, "pid", "exit file");
  ASSERT_EQ(narrowed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(narrowed.status().message(), "exit file: \"pid\" is out of range: 4294967296");
  EXPECT_EQ(IntegerFieldAs<int>(kDoc, "text", "doc").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonFields, RequiredFieldsMustBeThereAndOfTheirType) {
  const json record = json::parse(R"({"id": "abc", "pid": 42, "gone": null, "size": "12"})");
  EXPECT_EQ(RequiredField<std::string>(record, "id", "record").value(), "abc");
  EXPECT_EQ(RequiredField<int>(record, "pid", "record").value(), 42);
  for (const char* key : {"absent", "gone"}) {
    const absl::StatusOr<int64_t> missing = RequiredField<int64_t>(record, key, "record");
    ASSERT_EQ(missing.status().code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_EQ(missing.status().message(), absl::StrCat("record: \"", key, "\" is missing"));
  }
  EXPECT_EQ(RequiredField<int64_t>(record, "size", "record").status().message(),
            "record: \"size\" must be an integer, not string");
  EXPECT_EQ(RequiredField<std::string>(json::array(), "id", "record").status().message(), "record: \"id\" is missing");
}

TEST(JsonFields, ANonObjectIsAnErrorNotAnException) {
  for (const json& not_object : {json(), json::array({1}), json("s"), json(3)}) {
    const absl::StatusOr<std::string> field = StringField(not_object, "name", "token answer");
    ASSERT_EQ(field.status().code(), absl::StatusCode::kInvalidArgument) << not_object.dump();
    EXPECT_NE(field.status().message().find("token answer must be a JSON object"), std::string::npos);
  }
}

}  // namespace
}  // namespace cloison::util
