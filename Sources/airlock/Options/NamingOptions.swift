import Airlock
import ArgumentParser

/// How bundle images are named in a registry: push writes these names, serve answers to them.
struct NamingOptions: ParsableArguments {
    @Option(help: "Drop this many leading path components of source repositories.")
    var stripComponents: Int = 0

    @Option(help: "SOURCE_REGISTRY=NAMESPACE: send one source registry's images under its own namespace (repeatable).")
    var registryNamespace: [String] = []

    @Option(help: "Target name template, e.g. 'vendor/all:{flatpath}-{tag}' (one repository for everything).")
    var nameTemplate: String?

    /// The naming for target `REG[/NAMESPACE]`.
    func naming(to target: String) throws -> TargetNaming {
        var namespaces: [String: String] = [:]
        for entry in registryNamespace {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--registry-namespace takes SOURCE_REGISTRY=NAMESPACE, not '\(entry)'") }
            namespaces[parts[0]] = parts[1]
        }
        return try TargetNaming(to: target, stripComponents: stripComponents, registryNamespaces: namespaces, template: nameTemplate)
    }
}
