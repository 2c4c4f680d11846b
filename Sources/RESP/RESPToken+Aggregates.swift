import NIOCore

extension RESPToken {
    /// The elements of an array, set or push, read lazily from the validated bytes.
    public struct Array: Sequence, Sendable, Hashable {
        public typealias Element = RESPToken

        /// The number of elements.
        public let count: Int
        /// The bytes of all elements, back to back.
        let elements: ByteBuffer

        init(count: Int, elements: ByteBuffer) {
            self.count = count
            self.elements = elements
        }

        public func makeIterator() -> Iterator {
            Iterator(remaining: self.count, elements: self.elements)
        }

        /// Yields each element in order. Attributes in front of an element are skipped.
        public struct Iterator: IteratorProtocol {
            private var remaining: Int
            private var elements: ByteBuffer

            init(remaining: Int, elements: ByteBuffer) {
                self.remaining = remaining
                self.elements = elements
            }

            public mutating func next() -> RESPToken? {
                guard self.remaining > 0 else { return nil }
                self.remaining -= 1
                return self.elements.readValidatedElement()
            }
        }

        /// Exactly ``count``: the header announced it.
        public var underestimatedCount: Int { self.count }
    }

    /// The pairs of a map or attribute, read lazily from the validated bytes.
    public struct Map: Sequence, Sendable, Hashable {
        public typealias Element = (key: RESPToken, value: RESPToken)

        /// The number of key/value pairs.
        public let count: Int
        let elements: ByteBuffer

        init(count: Int, elements: ByteBuffer) {
            self.count = count
            self.elements = elements
        }

        public func makeIterator() -> Iterator {
            Iterator(underlying: Array(count: self.count * 2, elements: self.elements).makeIterator())
        }

        /// Yields each pair in the order sent.
        public struct Iterator: IteratorProtocol {
            private var underlying: Array.Iterator

            init(underlying: Array.Iterator) {
                self.underlying = underlying
            }

            public mutating func next() -> (key: RESPToken, value: RESPToken)? {
                guard let key = self.underlying.next(), let value = self.underlying.next() else { return nil }
                return (key, value)
            }
        }

        /// Exactly ``count``: the header announced it.
        public var underestimatedCount: Int { self.count }
    }
}
