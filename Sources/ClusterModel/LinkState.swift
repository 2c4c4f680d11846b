/// The state of the cluster bus link to a node, as the reporting node sees it.
public enum LinkState: String, Sendable, Hashable {
    /// The bus link is up.
    case connected
    /// The bus link is down (normal for handshake and noaddr nodes).
    case disconnected
}
