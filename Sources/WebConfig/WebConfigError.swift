/// A web-config file that cannot be used. `field` is the path of the offending setting in the file
/// (`tls_server_config.client_auth_type`, `basic_auth_users.alice`), so the user knows what to fix.
///
/// Messages name fields, files and the values of plain settings, never a password hash or an inline key.
public struct WebConfigError: Error, CustomStringConvertible, Equatable {
    /// Dotted path of the setting, or nil for the file as a whole (unreadable, not YAML).
    public var field: String?
    public var message: String

    public init(field: String?, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String {
        field.map { "\($0): \(message)" } ?? message
    }
}
