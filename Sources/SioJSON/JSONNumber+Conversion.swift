// Exact integers from number text, and JavaScript-style text from doubles.

extension JSONNumber {
    /// The exact integer value of a number text, if it has one and it fits in `Int`.
    static func exactInteger(in buffer: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = 0
        let negative = index < buffer.count && buffer[index] == UInt8(ascii: "-")
        if negative {
            index += 1
        }
        // The significant digits, integer part then fraction, and the power of ten they scale by.
        var digits: [UInt8] = []
        while index < buffer.count, JSONScanner.isDigit(buffer[index]) {
            digits.append(buffer[index] - UInt8(ascii: "0"))
            index += 1
        }
        guard !digits.isEmpty else {
            return nil
        }
        var exponent = 0
        if index < buffer.count, buffer[index] == UInt8(ascii: ".") {
            index += 1
            while index < buffer.count, JSONScanner.isDigit(buffer[index]) {
                digits.append(buffer[index] - UInt8(ascii: "0"))
                exponent -= 1
                index += 1
            }
        }
        if index < buffer.count, buffer[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentSign = 1
            if index < buffer.count, buffer[index] == UInt8(ascii: "+") || buffer[index] == UInt8(ascii: "-") {
                exponentSign = buffer[index] == UInt8(ascii: "-") ? -1 : 1
                index += 1
            }
            var written = 0
            var sawDigit = false
            while index < buffer.count, JSONScanner.isDigit(buffer[index]) {
                written = min(written * 10 + Int(buffer[index] - UInt8(ascii: "0")), 1_000_000)
                sawDigit = true
                index += 1
            }
            guard sawDigit else {
                return nil
            }
            exponent += exponentSign * written
        }
        guard index == buffer.count else {
            return nil
        }
        while let last = digits.last, last == 0 {
            digits.removeLast()
            exponent += 1
        }
        guard let first = digits.firstIndex(where: { $0 != 0 }) else {
            return 0
        }
        let significant = digits[first...]
        guard exponent >= 0, significant.count + exponent <= 19 else {
            return nil
        }
        // Accumulate negatively so that Int.min fits.
        var value = 0
        for digit in significant {
            let (scaled, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = scaled.subtractingReportingOverflow(Int(digit))
            guard !overflow1, !overflow2 else {
                return nil
            }
            value = next
        }
        for _ in 0..<exponent {
            let (scaled, overflow) = value.multipliedReportingOverflow(by: 10)
            guard !overflow else {
                return nil
            }
            value = scaled
        }
        if negative {
            return value
        }
        guard value != .min else {
            return nil
        }
        return -value
    }

    /// ECMA-262 Number::toString for a finite double, from Swift's shortest round-trip digits.
    static func ecmaScriptText(of value: Double) -> String {
        if value == 0 {
            return "0"
        }
        // Swift writes e.g. "1.5", "1.0", "0.0001", "1e-05", "1.5e+300", "5e-324".
        var digits: [UInt8] = []
        var integerDigits = 0
        var seenPoint = false
        var exponent = 0
        let description = value.magnitude.description.utf8
        var index = description.startIndex
        while index < description.endIndex {
            let byte = description[index]
            if JSONScanner.isDigit(byte) {
                digits.append(byte)
                if !seenPoint {
                    integerDigits += 1
                }
            } else if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if byte == UInt8(ascii: "e") {
                let rest = Substring(description[description.index(after: index)...])
                exponent = Int(rest.hasPrefix("+") ? rest.dropFirst() : rest) ?? 0
                break
            }
            index = description.index(after: index)
        }
        // value = 0.d1 d2 … dk × 10^n
        var n = integerDigits + exponent
        var first = 0
        while first < digits.count - 1, digits[first] == UInt8(ascii: "0") {
            first += 1
            n -= 1
        }
        var last = digits.count
        while last > first + 1, digits[last - 1] == UInt8(ascii: "0") {
            last -= 1
        }
        let significant = digits[first..<last]
        let k = significant.count

        var out: [UInt8] = value < 0 ? [UInt8(ascii: "-")] : []
        if k <= n, n <= 21 {
            out.append(contentsOf: significant)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: n - k))
        } else if 0 < n, n <= 21 {
            out.append(contentsOf: significant.prefix(n))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: significant.dropFirst(n))
        } else if -6 < n, n <= 0 {
            out.append(contentsOf: "0.".utf8)
            out.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -n))
            out.append(contentsOf: significant)
        } else {
            out.append(significant[significant.startIndex])
            if k > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: significant.dropFirst())
            }
            out.append(UInt8(ascii: "e"))
            out.append(n - 1 >= 0 ? UInt8(ascii: "+") : UInt8(ascii: "-"))
            out.append(contentsOf: String((n - 1).magnitude).utf8)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
