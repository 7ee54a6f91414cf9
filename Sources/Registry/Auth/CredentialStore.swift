/// Where `airlock login` keeps a registry's credential: docker's config.json itself, or the
/// credential helper (`docker-credential-NAME`) that config names for that registry.
public enum CredentialStore: Sendable, Hashable {
    /// The `auths` entry of the config file at this path.
    case file(String)
    /// `docker-credential-NAME`, by NAME: a `credHelpers` entry, or `credsStore`.
    case helper(String)
}
