import HTTPAPI
import Testing

struct JSONWriterTests {
    @Test func escapingAndOrder() {
        let value = JSONValue.object([
            ("b", .string("quote\" backslash\\ newline\n tab\t bell\u{07} é")),
            ("a", .array([.int(1), .double(45.2), .double(26), .null, .bool(false), .double(.nan)])),
        ])
        #expect(JSONWriter.string(value) == #"{"b":"quote\" backslash\\ newline\n tab\t bell\u0007 é","a":[1,45.2,26,null,false,null]}"#)
    }
}
