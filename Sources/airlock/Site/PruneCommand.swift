import Airlock
import ArgumentParser
import Foundation
import OCI

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Delete what only the bundles you do not keep use, as the registry's ledger records them.",
        discussion: """
            prune reads REG/NAMESPACE/airlock-ledger, keeps the bundles named by --keep (or the \
            --keep-last N versions of each bundle name) and plans deleting the manifests (by digest) \
            and tags that only the other bundles use. Nothing a kept bundle uses, and nothing a tag \
            the ledger does not record names, is touched. Without --yes it prints the plan and \
            deletes nothing; with --yes it deletes, removing the pruned bundles' ledger records last. \
            Blobs are left to the registry's own garbage collection (distribution's `registry \
            garbage-collect`, Harbor's GC job), which must run for the space to come back; the plan \
            says how many bytes it can reclaim.
            """
    )

    @Option(help: ArgumentHelp("The registry, REGISTRY[/NAMESPACE] as push was given it with --to.", valueName: "registry[/namespace]"))
    var at: String

    @Option(parsing: .upToNextOption, help: ArgumentHelp("Bundles to keep, as NAME@VERSION (repeatable).", valueName: "name@version"))
    var keep: [String] = []

    @Option(help: ArgumentHelp("Keep the N newest bundles of each bundle name (by the bundle order: a delta above its bases, then version numbers, then the signed creation time).", valueName: "n"))
    var keepLast: Int?

    @Flag(help: "Delete (without it, only the plan is printed).")
    var yes = false

    @Flag(help: "Print JSON to stdout.")
    var json = false

    @OptionGroup var registry: RegistryOptions
    @OptionGroup var output: OutputOptions

    func validate() throws {
        if keep.isEmpty == (keepLast == nil) { throw ValidationError("prune needs either --keep NAME@VERSION… or --keep-last N") }
        if let keepLast, keepLast < 1 { throw ValidationError("--keep-last must be 1 or more (pruning every bundle is not what prune is for)") }
        for item in keep where !item.contains("@") || item.hasPrefix("@") || item.hasSuffix("@") {
            throw ValidationError("--keep takes NAME@VERSION, not '\(item)'")
        }
    }

    func run() async throws {
        let naming = try TargetNaming(to: at)
        let location = LedgerLocation(registry: naming.registry, namespace: naming.namespace)
        let wanted: PruneKeep = keepLast.map { .last($0) } ?? .bundles(keep.map { item in
            let parts = item.split(separator: "@", omittingEmptySubsequences: false)
            return (parts.dropLast().joined(separator: "@"), String(parts.last ?? ""))
        })
        let plan = try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, logger: output.logger) { transport in
            try await Pruner(transport: transport).prune(location, keep: wanted, delete: yes)
        }
        if json {
            try Output.json(plan)
        } else {
            show(plan)
        }
    }

    func show(_ plan: PrunePlan) {
        guard !plan.pruned.isEmpty else {
            Output.line("nothing to prune in \(plan.target): every recorded bundle is kept (\(plan.kept.map(\.title).joined(separator: ", ")))")
            return
        }
        let verb = plan.deleted ? "deleted" : "would delete"
        Output.line("keep: \(plan.kept.isEmpty ? "nothing" : plan.kept.map(\.title).joined(separator: ", ")); prune: \(plan.pruned.map(\.title).joined(separator: ", "))")
        for manifest in plan.manifests where !output.quiet {
            Output.line("\(verb) \(manifest.target)" + (manifest.tags.isEmpty ? "" : " (tags: \(manifest.tags.joined(separator: ", ")))"))
        }
        for tag in plan.tags where !output.quiet && !plan.tagsLeft.contains(tag) {
            Output.line("\(verb) tag \(tag)")
        }
        for tag in plan.tagsLeft {
            Output.line("left tag \(tag): the registry does not delete tags by name (its image is kept anyway)")
        }
        for record in plan.records where !output.quiet {
            Output.line("\(verb) ledger record \(record)")
        }
        let tags = plan.tags.count - plan.tagsLeft.count
        Output.line("\(plan.manifests.count, noun: "manifest"), \(tags, noun: "tag"), \(plan.records.count, noun: "ledger record") \(plan.deleted ? "deleted" : "planned"); up to \(ByteCount.format(plan.reclaimableBytes)) can be reclaimed once the registry's own garbage collection runs (distribution: registry garbage-collect; Harbor: its GC job; Nexus, Artifactory: their cleanup tasks)")
        if !plan.deleted { Output.line("dry run: nothing was deleted; run again with --yes to delete") }
    }
}
