import Testing

@testable import SioJSON

@Suite("JSONNumber")
struct NumberTests {
    @Test(arguments: ["0", "-0", "1", "-1", "10", "1.5", "0.5e10", "1E400", "1e-3", "1E+2", "12345678901234567890"])
    func validText_isAccepted(text: String) {
        #expect(JSONNumber(text)?.text == text)
    }

    @Test(arguments: ["", " 1", "1 ", "+1", "01", "-01", "1.", ".5", "1e", "1e+", "-", "NaN", "Infinity", "0x10", "1_000"])
    func invalidText_isRejected(text: String) {
        #expect(JSONNumber(text) == nil)
    }

    @Test(arguments: [
        (1.0, "1"),
        (-1.0, "-1"),
        (0.0, "0"),
        (-0.0, "0"),
        (1.5, "1.5"),
        (-2.25, "-2.25"),
        (0.1, "0.1"),
        (100.0, "100"),
        (123.456, "123.456"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1.5e21, "1.5e+21"),
        (1e16, "10000000000000000"),
        (0.000001, "0.000001"),
        (0.0000001, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.00001234, "0.00001234"),
        (1.5e-300, "1.5e-300"),
        (Double.leastNonzeroMagnitude, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (9007199254740993.0, "9007199254740992"),
        (0.1 + 0.2, "0.30000000000000004"),
    ])
    func double_isFormattedAsJavaScriptDoes(value: Double, text: String) {
        #expect(JSONNumber(value)?.text == text)
    }

    @Test func nonFiniteDoubles_areNil() {
        #expect(JSONNumber(Double.nan) == nil)
        #expect(JSONNumber(Double.infinity) == nil)
        #expect(JSONNumber(-Double.infinity) == nil)
    }

    @Test func integers_areWrittenInDecimal() {
        #expect(JSONNumber(-42).text == "-42")
        #expect(JSONNumber(UInt64.max).text == "18446744073709551615")
        #expect(JSONNumber(7).description == "7")
    }

    @Test(arguments: [
        ("0", 0), ("-0", 0), ("42", 42), ("-42", -42), ("1e3", 1000), ("1.0", 1), ("2.50e1", 25),
        ("1500e-2", 15), ("0.0", 0), ("0e99999999999", 0),
        ("9223372036854775807", Int.max), ("-9223372036854775808", Int.min),
    ] as [(String, Int)])
    func intValue_ofExactIntegers(text: String, value: Int) {
        #expect(JSONNumber(unchecked: text).intValue == value)
    }

    @Test(arguments: [
        "1.5", "1e-3", "1500e-3", "1e400", "9223372036854775808", "-9223372036854775809", "12345678901234567890",
        "", "-", "abc", "1e",
    ])
    func intValue_isNilOtherwise(text: String) {
        #expect(JSONNumber(unchecked: text).intValue == nil)
    }

    @Test func doubleValue_isNearest() {
        #expect(JSONNumber(unchecked: "1.5e-300").doubleValue == 1.5e-300)
        #expect(JSONNumber(unchecked: "1E400").doubleValue == .infinity)
        #expect(JSONNumber(unchecked: "-0").doubleValue.sign == .minus)
        #expect(JSONNumber(unchecked: "12345678901234567890").doubleValue == 12345678901234567890.0)
    }
}
