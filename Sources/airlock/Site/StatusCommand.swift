import Airlock
import ArgumentParser
import Foundation
import OCI

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "List the bundles a registry's ledger records, newest first; --check holds the registry to them.",
        discussion: """
            Every push records its bundle in REG/NAMESPACE/airlock-ledger (airlock-bundle(5)). \
            status lists those records: name, version, when pushed, the signers' key ids and the \
            images. --check confirms that every recorded manifest is still there and that every tag \
            still names the recorded digest: exit status 0 when all are intact, 7 when a manifest \
            or tag is missing, 3 when only tags moved.
            """
    )

    @Option(help: ArgumentHelp("The registry, REGISTRY[/NAMESPACE] as push was given it with --to.", valueName: "registry[/namespace]"))
    var at: String

    @Flag(help: "Confirm every recorded manifest and tag (intact, missing, moved).")
    var check = false

    @Option(help: "Write mirror configuration for every recorded image into this folder (as push --mirror-config).", completion: .directory)
    var mirrorConfig: String?

    @Flag(help: "Replace --mirror-config files airlock did not write.")
    var force = false

    @Flag(help: "Print JSON to stdout.")
    var json = false

    @OptionGroup var signers: SignerKeyOptions
    @OptionGroup var registry: RegistryOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let naming = try TargetNaming(to: at)
        let location = LedgerLocation(registry: naming.registry, namespace: naming.namespace)
        if let mirrorConfig { try MirrorConfig.check(mirrorConfig, force: force) }
        let trust = try signers.trustIfGiven()
        let (report, ledger, scheme) = try await registry.withTransport(hosts: [naming.registry], schemes: naming.schemes, logger: output.logger) { transport in
            let (report, ledger) = try await StatusReader(transport: transport).status(location, check: check, trust: trust)
            return (report, ledger, try await transport.client(for: naming.registry).scheme())
        }
        if let mirrorConfig {
            let config = MirrorConfig(mirror: naming.registry, scheme: scheme, caFiles: registry.connection.caFile,
                                      images: MirrorConfig.images(recorded: ledger), title: location.target)
            try config.write(to: mirrorConfig, force: force)
            config.hostsWithoutPrefixMapping.forEach(Output.warning(renamedMirrorHost:))
        }
        for problem in report.unreadable {
            Output.error("airlock: warning: ledger tag \(Output.printable(problem.tag)) holds no readable record: \(Output.printable(problem.reason))")
        }
        if json {
            try Output.json(report)
        } else {
            show(report)
        }
        if (report.untrusted ?? 0) > 0 { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
        guard check else { return }
        if (report.missing ?? 0) > 0 { throw ExitCode(ExitStatus.notFound.rawValue) }
        if (report.moved ?? 0) > 0 { throw ExitCode(ExitStatus.verificationFailed.rawValue) }
    }

    func show(_ report: StatusReport) {
        guard !report.bundles.isEmpty else {
            Output.line("no bundles recorded in \(report.ledger)")
            return
        }
        for bundle in report.bundles {
            let signers = bundle.signers.map { String($0.keyID.hex.prefix(16)) }.joined(separator: ", ")
            let downgrade = bundle.downgradedFrom.map { " (downgraded from \($0))" } ?? ""
            Output.line("\(bundle.name) \(bundle.version)  pushed \(bundle.pushedAt)  signed by \(signers.isEmpty ? "nobody" : signers)\(downgrade)")
            if let trust = bundle.trust {
                if trust.passed {
                    Output.line("  trusted: meets \(trust.policy?.policy ?? "the given keys")")
                } else {
                    let lines = (trust.error ?? "").split(separator: "\n").map { Output.printable(String($0)) }
                    Output.line("  NOT TRUSTED: \(lines.first ?? "")")
                    lines.dropFirst().forEach { Output.line("  \($0)") }
                }
            }
            var rows: [[String]] = []
            for image in bundle.images {
                var row = ["  \(image.target)", image.digest.short]
                if let state = image.state {
                    row.append(state.rawValue + (image.current.map { " (now \($0.short))" } ?? "")
                               + (image.missingManifests.map { " (\($0.count) manifest(s) gone)" } ?? ""))
                }
                rows.append(row)
            }
            Output.table(rows).forEach(Output.line)
        }
        if let intact = report.intact, let missing = report.missing, let moved = report.moved {
            Output.line("\(report.bundles.count) bundle(s); images: \(intact) intact, \(missing) missing, \(moved) moved")
        }
        if let untrusted = report.untrusted {
            Output.line("\(report.bundles.count - untrusted) of \(report.bundles.count) bundle(s) meet the trust given")
        }
    }
}
