/// What a command writes at an output path; it decides which existing files count as its own.
public enum OutputKind: Sendable {
    /// `pack -o`: an airlock bundle (recognised by its signature slot header).
    case bundle
    /// `push --mapping`: `{"images": [{source, target, …}], "evidence": […]}`.
    case mapping
    /// `push --kustomize`: an `images:` list of name/newName/digest entries.
    case kustomization
    /// `keygen --out`: a key file, never replaced.
    case key
    /// `unpack --to-dir`: a directory, new or empty.
    case directory
    /// A file of `--mirror-config DIR`: it starts with airlock's marker line (or is the kustomization).
    case mirrorConfig

    var noun: String {
        switch self {
        case .bundle: "an airlock bundle"
        case .mapping: "an airlock mapping"
        case .kustomization: "an airlock kustomization"
        case .key: "a key"
        case .directory: "a directory"
        case .mirrorConfig: "an airlock mirror configuration"
        }
    }
}
