import NIOCore

extension RESPScanner {
    /// Scans a `ByteBuffer`'s readable bytes.
    mutating func scan(_ buffer: ByteBuffer) throws(RESPParsingError) -> Completed? {
        // withUnsafeReadableBytes only rethrows untyped errors, so carry the typed one out in a Result.
        let result = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(RESPParsingError) -> Completed? in try self.scan(bytes) }
        }
        return try result.get()
    }
}
