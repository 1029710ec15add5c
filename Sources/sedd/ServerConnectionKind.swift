import InfillServer

/// The server's connection kind, named apart from the loop's type of the same name (the two rooms may
/// not import each other, so each has its own; `ServeCommand` maps one to the other).
typealias ServerConnectionKind = ConnectionKind
