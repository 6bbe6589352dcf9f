import Testing

@testable import SioJSON

@Suite("JSON and JSONObject values")
struct ValueTests {
    @Test func literals_buildTheExpectedCases() {
        let null: JSON = nil
        let flag: JSON = true
        let int: JSON = 42
        let double: JSON = 1.5
        let string: JSON = "s"
        let array: JSON = [1, "a"]
        let object: JSON = ["k": 1, "j": 2]
        #expect(null == .null)
        #expect(flag == .bool(true))
        #expect(int == .number(JSONNumber(unchecked: "42")))
        #expect(double == .number(JSONNumber(unchecked: "1.5")))
        #expect(string == .string("s"))
        #expect(array == .array([.number(JSONNumber(1)), .string("a")]))
        #expect(object.objectValue?.keys == ["k", "j"])
    }

    @Test func accessors_returnNilForOtherKinds() {
        let value: JSON = ["s": "x", "b": true, "i": 3, "d": 2.5, "a": [1], "o": [:], "n": nil]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["b"]?.boolValue == true)
        #expect(value["i"]?.intValue == 3)
        #expect(value["i"]?.doubleValue == 3)
        #expect(value["d"]?.doubleValue == 2.5)
        #expect(value["d"]?.intValue == nil)
        #expect(value["a"]?.arrayValue == [1])
        #expect(value["o"]?.objectValue?.isEmpty == true)
        #expect(value["n"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["s"]?.boolValue == nil)
        #expect(value["s"]?.isNull == false)
        #expect(value[0] == nil)
        #expect(JSON.binary([1, 2]).binaryValue == [1, 2])
        #expect(JSON.string("x").binaryValue == nil)
    }

    @Test func arraySubscript_isBoundsChecked() {
        let value: JSON = [10, 20]
        #expect(value[1] == 20)
        #expect(value[2] == nil)
        #expect(value[-1] == nil)
        #expect(value["k"] == nil)
    }

    @Test func containsBinary_searchesAllDepths() {
        #expect(JSON.binary([]).containsBinary)
        #expect(JSON.array([1, ["a": [.binary([1])]]]).containsBinary)
        #expect(!(["a": [1, "b", nil]] as JSON).containsBinary)
    }

    @Test func objectSubscript_setReplacesInPlaceAppendsAndRemoves() {
        var object: JSONObject = ["a": 1, "b": 2, "a": 3]
        #expect(object["a"] == 3)
        object["a"] = 9
        #expect(object.keys == ["a", "b"])
        #expect(object["a"] == 9)
        object["c"] = "x"
        #expect(object.keys == ["a", "b", "c"])
        object["b"] = nil
        #expect(object.keys == ["a", "c"])
        #expect(object.count == 2)
        object["missing"] = nil
        #expect(object.count == 2)
    }

    @Test func object_isASequenceOfMembersInOrder() {
        let object: JSONObject = ["z": 1, "y": 2]
        #expect(object.map(\.key) == ["z", "y"])
        #expect(JSONObject().isEmpty)
        #expect(JSON.object(object).serialized == #"{"z":1,"y":2}"#)
    }
}
