// The COM binding's VARIANT <-> Value conversions (addin/com/src/variant_convert.cpp), run under Wine.
#include <gtest/gtest.h>

#include "hserver/addin/com/variant_convert.hpp"

namespace hserver::addin::com {
namespace {

/// A VARIANT that clears itself.
struct Var {
  VARIANT v;
  Var() { VariantInit(&v); }
  ~Var() { VariantClear(&v); }
  Var(const Var&) = delete;
  Var& operator=(const Var&) = delete;
};

Value round_trip(const Value& value) {
  Var variant;
  EXPECT_TRUE(to_variant(value, variant.v).has_value());
  auto back = from_variant(variant.v);
  EXPECT_TRUE(back.has_value());
  return back ? *back : Value{};
}

TEST(ComVariant, ScalarsRoundTrip) {
  EXPECT_EQ(round_trip(Value{}), Value{});
  EXPECT_EQ(round_trip(Value{true}), Value{true});
  EXPECT_EQ(round_trip(Value{std::int64_t{-42}}), Value{std::int64_t{-42}});
  EXPECT_EQ(round_trip(Value{2.5}), Value{2.5});
}

TEST(ComVariant, IntegersBeyond32BitsBecomeDoubles) {
  Var variant;
  ASSERT_TRUE(to_variant(Value{std::int64_t{1} << 40}, variant.v).has_value());
  EXPECT_EQ(variant.v.vt, VT_R8);
  Var small;
  ASSERT_TRUE(to_variant(Value{std::int64_t{7}}, small.v).has_value());
  EXPECT_EQ(small.v.vt, VT_I4);
}

TEST(ComVariant, StringsAreUtf16Bstr) {
  const std::string text = "Привет, мир / hello 😀";
  Var variant;
  ASSERT_TRUE(to_variant(Value{text}, variant.v).has_value());
  ASSERT_EQ(variant.v.vt, VT_BSTR);
  EXPECT_EQ(SysStringLen(variant.v.bstrVal), 22u);  // 20 BMP characters + a surrogate pair
  EXPECT_EQ(round_trip(Value{text}), Value{text});
}

TEST(ComVariant, BlobIsSafeArrayOfBytes) {
  const Blob blob{std::string("\0\1\2\xff", 4)};
  Var variant;
  ASSERT_TRUE(to_variant(Value{blob}, variant.v).has_value());
  EXPECT_EQ(variant.v.vt, VT_ARRAY | VT_UI1);
  EXPECT_EQ(round_trip(Value{blob}), Value{blob});
  EXPECT_EQ(round_trip(Value{Blob{}}), Value{Blob{}});
}

TEST(ComVariant, ByRefAndDecimalAreRead) {
  Var inner;
  inner.v.vt = VT_I4;
  inner.v.lVal = 3188;
  VARIANT ref;
  VariantInit(&ref);
  ref.vt = VT_BYREF | VT_VARIANT;
  ref.pvarVal = &inner.v;
  EXPECT_EQ(*from_variant(ref), Value{std::int64_t{3188}});

  Var decimal;
  decimal.v.vt = VT_R8;
  decimal.v.dblVal = 12345678901.0;
  ASSERT_EQ(VariantChangeType(&decimal.v, &decimal.v, 0, VT_DECIMAL), S_OK);
  EXPECT_EQ(*from_variant(decimal.v), Value{std::int64_t{12345678901}});
}

TEST(ComVariant, DatesAndObjectsAreRefusedWithABilingualMessage) {
  Var date;
  date.v.vt = VT_DATE;
  date.v.date = 45000.0;
  const auto value = from_variant(date.v);
  ASSERT_FALSE(value.has_value());
  EXPECT_NE(value.error().find("Дата / Date"), std::string::npos);
}

}  // namespace
}  // namespace hserver::addin::com
