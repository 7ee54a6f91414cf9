import Foundation

/// `airlock login` and `logout`: the same file and helpers `credential(for:)` reads, written.
extension DockerConfig {
    /// Where a login for `host` goes: its `credHelpers` entry, else `credsStore`, else the file.
    public func store(for host: String) -> CredentialStore {
        if let name = helperName(for: host) ?? storeName { return .helper(name) }
        return .file(path)
    }

    /// Keeps `credential` for `host` where `store(for:)` says. Stored by `credsStore`, an entry the
    /// file still holds for `host` is removed: the file is read before `credsStore`, and would win.
    @discardableResult
    public func store(_ credential: Credential, for host: String) async throws -> CredentialStore {
        let key = Self.configKey(for: host)
        let place = store(for: host)
        switch place {
        case .helper(let name):
            try await helper(name).store(serverURL: key, credential: credential)
            if helperName(for: host) == nil { try edit { try $0.removeAuths(key: key) } }
        case .file:
            try edit { document in
                try document.setAuth(credential, key: key)
                return true
            }
        }
        return place
    }

    /// Forgets `host`'s credential everywhere a login may have put it: its `credHelpers` entry, or
    /// else the file's `auths` and `credsStore`. Returns where one was found (none: not logged in).
    public func erase(for host: String) async throws -> [CredentialStore] {
        let key = Self.configKey(for: host)
        if let name = helperName(for: host) {
            return try await helper(name).erase(serverURL: key) ? [.helper(name)] : []
        }
        var erased: [CredentialStore] = []
        if try edit({ try $0.removeAuths(key: key) }) { erased.append(.file(path)) }
        if let name = storeName, try await helper(name).erase(serverURL: key) { erased.append(.helper(name)) }
        return erased
    }

    /// Reads the file as it is now, applies `change`, and replaces the file when `change` says it
    /// changed something. Returns that.
    @discardableResult
    private func edit(_ change: (inout DockerConfigDocument) throws -> Bool) throws -> Bool {
        var document = try DockerConfigDocument(bytes: try currentBytes(), path: path)
        guard try change(&document) else { return false }
        try PrivateFile.replace(path, with: try document.bytes())
        return true
    }

    /// The file's bytes, nil when there is none; one that exists but cannot be read is an error,
    /// never taken for an empty config that would then replace it.
    private func currentBytes() throws(RegistryError) -> [UInt8]? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .localFile(path: path, reason: "it exists but cannot be read")
        }
        return Array(data)
    }
}
