#include "hserver/common/utf.hpp"

#include <gtest/gtest.h>

namespace hserver {
namespace {

TEST(Utf, CyrillicAndAstralRoundTrip) {
  const std::string text = "Сообщить(\"Привет\"); 😀 end";
  auto wide = utf8_to_utf16(text);
  ASSERT_TRUE(wide.has_value());
  EXPECT_EQ((*wide)[0], u'С');
  auto back = utf16_to_utf8(*wide);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, text);
}

TEST(Utf, InvalidUtf8IsFoundAtItsOffset) {
  EXPECT_EQ(find_invalid_utf8("abc"), std::string_view::npos);
  EXPECT_EQ(find_invalid_utf8("ab\xff"), 2u);
  EXPECT_EQ(find_invalid_utf8("\xc0\xaf"), 0u);          // overlong '/'
  EXPECT_EQ(find_invalid_utf8("x\xed\xa0\x80"), 1u);     // a surrogate
  EXPECT_EQ(find_invalid_utf8("\xf4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(find_invalid_utf8("\xd0"), 0u);              // truncated
  EXPECT_FALSE(utf8_to_utf16("\xd0").has_value());
}

TEST(Utf, UnpairedSurrogatesAreErrors) {
  EXPECT_FALSE(utf16_to_utf8(std::u16string(1, char16_t{0xD800})).has_value());
  EXPECT_FALSE(utf16_to_utf8(std::u16string(1, char16_t{0xDC00})).has_value());
}

}  // namespace
}  // namespace hserver
