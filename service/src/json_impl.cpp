// Boost.JSON is used header-only: its implementation is compiled here and nowhere else in the service
// (including <boost/json/src.hpp> in a second translation unit would define every symbol twice).
#include <boost/json/src.hpp>
