// decode_legacy_target: the legacy wire's code-in-the-path decoding (see http/legacy_path.hpp).
#include "http/legacy_path.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hserver::service {
namespace {

std::string decoded(std::string_view target) {
  auto code = decode_legacy_target(target);
  EXPECT_TRUE(code.has_value()) << (code ? "" : code.error());
  return code ? *code : std::string{};
}

std::string error_of(std::string_view target) {
  auto code = decode_legacy_target(target);
  EXPECT_FALSE(code.has_value()) << "decoded to: " << (code ? *code : "");
  return code ? std::string{} : code.error();
}

TEST(LegacyPath, PlainAsciiCodeIsTheTargetWithoutTheLeadingSlash) {
  EXPECT_EQ(decoded("/Message(1)"), "Message(1)");
  EXPECT_EQ(decoded("/"), "");
}

TEST(LegacyPath, SlashInsideTheCodeSurvivesRawAndEncoded) {
  EXPECT_EQ(decoded("/a/b//c"), "a/b//c");
  EXPECT_EQ(decoded("/x%2Fy"), "x/y");
  EXPECT_EQ(decoded("/Result=10/2;"), "Result=10/2;");
}

TEST(LegacyPath, QuestionMarkIsPartOfTheCode) {
  EXPECT_EQ(decoded("/a?b=1"), "a?b=1");
  EXPECT_EQ(decoded("/a%3Fb"), "a?b");
}

TEST(LegacyPath, CyrillicPercentEncodedAsUtf8) {
  // "Сообщить(\"Привет\")"
  EXPECT_EQ(decoded("/%D0%A1%D0%BE%D0%BE%D0%B1%D1%89%D0%B8%D1%82%D1%8C(%22%D0%9F%D1%80%D0%B8%D0%B2%D0%B5%D1%82%22)"),
            "Сообщить(\"Привет\")");
}

TEST(LegacyPath, LowerCaseHexIsAccepted) {
  EXPECT_EQ(decoded("/%d0%9f"), "П");
}

TEST(LegacyPath, RawUtf8BytesInTheTargetPass) {
  EXPECT_EQ(decoded("/Привет"), "Привет");
}

TEST(LegacyPath, CrLfSurvive) {
  EXPECT_EQ(decoded("/A=1;%0D%0AB=2;"), "A=1;\r\nB=2;");
  EXPECT_EQ(decoded("/%0A"), "\n");
}

TEST(LegacyPath, PlusMeansSpace) {
  EXPECT_EQ(decoded("/A+=+1;"), "A = 1;");
}

TEST(LegacyPath, EncodedPlusStaysPlus) {
  EXPECT_EQ(decoded("/1%2B2"), "1+2");
}

TEST(LegacyPath, DoubleAmpersandMeansPlus) {
  EXPECT_EQ(decoded("/A=1&&2;"), "A=1+2;");
  EXPECT_EQ(decoded("/%26%26"), "+");  // replaced after percent-decoding, as the original did
  EXPECT_EQ(decoded("/a&b"), "a&b");
  EXPECT_EQ(decoded("/&&&"), "+&");  // left to right, no overlap
  EXPECT_EQ(decoded("/&&&&"), "++");
}

TEST(LegacyPath, LongCodePasses) {
  std::string target = "/";
  std::string expected;
  for (int i = 0; i < 20000; ++i) {
    target += "%D0%96+";
    expected += "Ж ";
  }
  EXPECT_EQ(decoded(target), expected);
}

TEST(LegacyPath, InvalidHexDigitIsAnErrorNamingTheEscapeAndOffset) {
  const std::string error = error_of("/abc%G1def");
  EXPECT_NE(error.find("invalid percent-encoding"), std::string::npos) << error;
  EXPECT_NE(error.find("\"%G1\""), std::string::npos) << error;
  EXPECT_NE(error.find("offset 4"), std::string::npos) << error;
}

TEST(LegacyPath, DotNetUnicodeEscapeIsRefused) {
  EXPECT_NE(error_of("/%u0041").find("invalid percent-encoding"), std::string::npos);
}

TEST(LegacyPath, TruncatedEscapeIsAnError) {
  const std::string error = error_of("/abc%4");
  EXPECT_NE(error.find("truncated percent-encoding"), std::string::npos) << error;
  EXPECT_NE(error.find("\"%4\""), std::string::npos) << error;
  EXPECT_NE(error.find("offset 4"), std::string::npos) << error;
  EXPECT_NE(error_of("/%").find("truncated"), std::string::npos);
}

TEST(LegacyPath, InvalidUtf8AfterDecodingIsAnErrorNamingTheByte) {
  const std::string error = error_of("/ab%FF");
  EXPECT_NE(error.find("not valid UTF-8"), std::string::npos) << error;
  EXPECT_NE(error.find("byte 2"), std::string::npos) << error;
  EXPECT_FALSE(decode_legacy_target("/%D0").has_value());        // truncated sequence
  EXPECT_FALSE(decode_legacy_target("/%C0%AF").has_value());     // overlong '/'
  EXPECT_FALSE(decode_legacy_target("/%ED%A0%80").has_value());  // UTF-16 surrogate
  EXPECT_FALSE(decode_legacy_target("/\xD0").has_value());       // raw invalid byte
}

TEST(LegacyPath, TargetWithoutLeadingSlashIsRefused) {
  EXPECT_NE(error_of("http://host/x").find("must start with '/'"), std::string::npos);
  EXPECT_FALSE(decode_legacy_target("").has_value());
}

}  // namespace
}  // namespace hserver::service
