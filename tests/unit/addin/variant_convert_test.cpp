// tVariant <-> Value and UTF-16 conversions of the Native API binding, with a recording memory manager
// standing in for 1C's.

#include "hserver/addin/native/variant_convert.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

namespace hserver::addin::native {
namespace {

class RecordingMemory final : public IMemoryManager {
 public:
  // No `override`: on Windows the interfaces have no virtual destructor (MSVC's one-slot layout).
  ~RecordingMemory() {
    for (void* block : live_) std::free(block);
  }
  bool ADDIN_API AllocMemory(void** block, unsigned long bytes) override {
    if (refuse_) return false;
    *block = std::malloc(bytes == 0 ? 1 : bytes);
    live_.insert(*block);
    last_size_ = bytes;
    return true;
  }
  void ADDIN_API FreeMemory(void** block) override {
    live_.erase(*block);
    std::free(*block);
    *block = nullptr;
  }
  std::size_t live() const { return live_.size(); }
  unsigned long last_size() const { return last_size_; }
  void refuse() { refuse_ = true; }

 private:
  std::set<void*> live_;
  unsigned long last_size_ = 0;
  bool refuse_ = false;
};

tVariant blank() {
  tVariant v;
  std::memset(static_cast<void*>(&v), 0, sizeof(v));
  return v;
}

tVariant wide(std::u16string& storage) {
  tVariant v = blank();
  v.vt = VTYPE_PWSTR;
  // char16_t and WCHAR_T (wchar_t on Windows) are both 2-byte UTF-16 units.
  v.wstr.pwstrVal = reinterpret_cast<WCHAR_T*>(storage.data());
  v.wstr.wstrLen = static_cast<std::uint32_t>(storage.size());
  return v;
}

TEST(Layout, MatchesThePlatform) {
#if defined(__linux__) && defined(__x86_64__)
  EXPECT_EQ(sizeof(tVariant), 64u);
  EXPECT_EQ(offsetof(tVariant, cbElements), 56u);
  EXPECT_EQ(offsetof(tVariant, vt), 60u);
#elif defined(_WIN32)
  EXPECT_EQ(sizeof(tVariant), 48u);
  EXPECT_EQ(offsetof(tVariant, cbElements), 40u);
  EXPECT_EQ(offsetof(tVariant, vt), 44u);
#endif
  EXPECT_EQ(sizeof(WCHAR_T), 2u);
}

TEST(FromVariant, Scalars) {
  tVariant v = blank();
  EXPECT_EQ(*from_variant(v), Value{});
  v.vt = VTYPE_NULL;
  EXPECT_EQ(*from_variant(v), Value{});
  v.vt = VTYPE_BOOL, v.bVal = true;
  EXPECT_EQ(*from_variant(v), Value{true});
  v.vt = VTYPE_I4, v.lVal = -7;
  EXPECT_EQ(*from_variant(v), Value{std::int64_t{-7}});
  v.vt = VTYPE_I2, v.shortVal = -300;
  EXPECT_EQ(*from_variant(v), Value{std::int64_t{-300}});
  v.vt = VTYPE_I8, v.llVal = std::int64_t{1} << 40;
  EXPECT_EQ(*from_variant(v), Value{std::int64_t{1} << 40});
  v.vt = VTYPE_UI4, v.ulVal = 4000000000u;
  EXPECT_EQ(*from_variant(v), Value{std::int64_t{4000000000}});
  v.vt = VTYPE_UI8, v.ullVal = 5;
  EXPECT_EQ(*from_variant(v), Value{std::int64_t{5}});
  v.vt = VTYPE_UI8, v.ullVal = std::numeric_limits<std::uint64_t>::max();
  EXPECT_EQ(*from_variant(v), Value{static_cast<double>(std::numeric_limits<std::uint64_t>::max())});
  v.vt = VTYPE_R8, v.dblVal = 2.5;
  EXPECT_EQ(*from_variant(v), Value{2.5});
  v.vt = VTYPE_R4, v.fltVal = 0.5f;
  EXPECT_EQ(*from_variant(v), Value{0.5});
}

TEST(FromVariant, CyrillicAndSurrogatePairs) {
  std::u16string text = u"Привет, мир \U0001F600!";
  ASSERT_EQ(text[12], char16_t{0xD83D});  // a surrogate pair really is in the input
  const auto value = from_variant(wide(text));
  ASSERT_TRUE(value.has_value()) << value.error();
  EXPECT_EQ(*value, Value{std::string("Привет, мир \xF0\x9F\x98\x80!")});
}

TEST(FromVariant, LoneSurrogateIsAnError) {
  std::u16string text = u"a";
  text.push_back(char16_t{0xD800});
  EXPECT_FALSE(from_variant(wide(text)).has_value());
}

TEST(FromVariant, StringUsesItsLengthNotTheTerminator) {
  std::u16string text = u"abcdef";
  tVariant v = wide(text);
  v.wstr.wstrLen = 3;
  EXPECT_EQ(*from_variant(v), Value{std::string("abc")});
  v.wstr.pwstrVal = nullptr;
  v.wstr.wstrLen = 0;
  EXPECT_EQ(*from_variant(v), Value{std::string()});
}

TEST(FromVariant, BlobKeepsEveryByte) {
  char bytes[] = {'\0', '\xFF', 'a'};
  tVariant v = blank();
  v.vt = VTYPE_BLOB;
  v.str.pstrVal = bytes;
  v.str.strLen = 3;
  EXPECT_EQ(*from_variant(v), Value{Blob{std::string("\0\xFF"
                                                     "a",
                                                     3)}});
}

TEST(FromVariant, UnsupportedTypesAreErrors) {
  tVariant v = blank();
  v.vt = VTYPE_DATE;
  EXPECT_FALSE(from_variant(v).has_value());
  v.vt = VTYPE_INTERFACE;
  EXPECT_FALSE(from_variant(v).has_value());
  v.vt = VTYPE_I4 | VTYPE_BYREF;
  EXPECT_FALSE(from_variant(v).has_value());
}

TEST(ToVariant, NumbersAreI4WhenTheyFitElseR8) {
  RecordingMemory memory;
  tVariant v = blank();
  ASSERT_TRUE(to_variant(Value{std::int64_t{42}}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_I4);
  EXPECT_EQ(v.lVal, 42);
  ASSERT_TRUE(to_variant(Value{std::int64_t{std::numeric_limits<std::int32_t>::min()}}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_I4);
  ASSERT_TRUE(to_variant(Value{std::int64_t{1} << 31}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_R8);
  EXPECT_EQ(v.dblVal, 2147483648.0);
  ASSERT_TRUE(to_variant(Value{0.25}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_R8);
  ASSERT_TRUE(to_variant(Value{false}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_BOOL);
  EXPECT_FALSE(v.bVal);
  ASSERT_TRUE(to_variant(Value{}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_EMPTY);
  EXPECT_EQ(memory.live(), 0u);
}

TEST(ToVariant, StringsAreAllocatedUtf16WithTerminator) {
  RecordingMemory memory;
  tVariant v = blank();
  ASSERT_TRUE(to_variant(Value{std::string("Ёж \xF0\x9F\x98\x80")}, v, &memory).has_value());
  ASSERT_EQ(v.vt, VTYPE_PWSTR);
  EXPECT_EQ(memory.live(), 1u);
  EXPECT_EQ(v.wstr.wstrLen, 5u);  // Ё ж space + two surrogates
  EXPECT_EQ(memory.last_size(), 6u * sizeof(WCHAR_T));
  EXPECT_EQ(to_u16(v.wstr.pwstrVal, v.wstr.wstrLen), u"Ёж \U0001F600");
  EXPECT_EQ(v.wstr.pwstrVal[5], 0);
  void* block = v.wstr.pwstrVal;
  memory.FreeMemory(&block);
}

TEST(ToVariant, InvalidUtf8IsAnErrorAndAllocatesNothing) {
  RecordingMemory memory;
  tVariant v = blank();
  EXPECT_FALSE(to_variant(Value{std::string("a\xFF")}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_EMPTY);
  EXPECT_EQ(memory.live(), 0u);
}

TEST(ToVariant, BlobsIncludingEmptyOnes) {
  RecordingMemory memory;
  tVariant v = blank();
  ASSERT_TRUE(to_variant(Value{Blob{std::string("\0\x01", 2)}}, v, &memory).has_value());
  ASSERT_EQ(v.vt, VTYPE_BLOB);
  EXPECT_EQ(v.str.strLen, 2u);
  EXPECT_EQ(std::string(v.str.pstrVal, 2), std::string("\0\x01", 2));
  void* block = v.str.pstrVal;
  memory.FreeMemory(&block);

  ASSERT_TRUE(to_variant(Value{Blob{}}, v, &memory).has_value());
  EXPECT_EQ(v.vt, VTYPE_BLOB);
  EXPECT_EQ(v.str.strLen, 0u);
  EXPECT_NE(v.str.pstrVal, nullptr);
  block = v.str.pstrVal;
  memory.FreeMemory(&block);
  EXPECT_EQ(memory.live(), 0u);
}

TEST(ToVariant, NoMemoryManagerIsAnError) {
  tVariant v = blank();
  EXPECT_FALSE(to_variant(Value{std::string("x")}, v, nullptr).has_value());
  EXPECT_EQ(v.vt, VTYPE_EMPTY);
  RecordingMemory refusing;
  refusing.refuse();
  EXPECT_FALSE(to_variant(Value{Blob{"x"}}, v, &refusing).has_value());
  EXPECT_EQ(v.vt, VTYPE_EMPTY);
}

TEST(Utf16, LossyConversionForEventData) {
  EXPECT_EQ(utf8_to_utf16_lossy("a\xFF"
                                "b"),
            u"a\uFFFDb");
  EXPECT_EQ(utf8_to_utf16_lossy("Код 1С"), u"Код 1С");
  EXPECT_EQ(utf8_to_utf16_lossy("\xF0\x9F\x98\x80"), u"\U0001F600");
  EXPECT_EQ(utf8_to_utf16_lossy(""), u"");
}

TEST(Utf16, WideStringHelpers) {
  const WCHAR_T text[] = HSERVER_NATIVE_WSTR("Порт");
  EXPECT_EQ(wstring_length(text), 4u);
  EXPECT_EQ(wstring_length(nullptr), 0u);
  EXPECT_EQ(to_u16(text), u"Порт");
  EXPECT_EQ(to_wchar_string(u"Порт"), std::basic_string<WCHAR_T>(text));
  RecordingMemory memory;
  WCHAR_T* copy = allocate_wstring(&memory, u"Да");
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(to_u16(copy), u"Да");
  void* block = copy;
  memory.FreeMemory(&block);
  EXPECT_EQ(allocate_wstring(nullptr, u"x"), nullptr);
}

}  // namespace
}  // namespace hserver::addin::native
