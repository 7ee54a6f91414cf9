import OCI

extension RegistryClient {
    /// DELETEs a manifest by digest, or a tag (OCI distribution 1.1; distribution 2.8 deletes by
    /// digest only, which also drops every tag naming it). Returns false when it was already gone.
    /// A registry that does not allow deleting answers 405, which `expect` turns into `deleteRefused`.
    /// https://github.com/opencontainers/distribution-spec/blob/main/spec.md#deleting-manifests
    @discardableResult
    public func deleteManifest(repository: String, reference: String) async throws -> Bool {
        let purpose = Purpose.delete("deleting \(Reference.spelled("\(host)/\(repository)", identifier: reference))", repository)
        let response = try await send(.DELETE, "/v2/\(repository)/manifests/\(reference)", purpose: purpose)
        return try await expect(response, [200, 202, 204, 404], purpose) != 404
    }
}
