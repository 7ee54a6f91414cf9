// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Airlock",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "airlock", targets: ["airlock"]),
        .executable(name: "airlock-fuzz", targets: ["airlock-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "5.0.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
    ],
    targets: [
        // System libraries: linked through pkg-config, installed by apt.
        .systemLibrary(
            name: "CArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"]), .brew(["libarchive"])]
        ),
        .systemLibrary(
            name: "CZstd",
            pkgConfig: "libzstd",
            providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]
        ),

        // The commit and toolchain a release binary was built from (scripts/package.sh sets them).
        .target(name: "CBuildInfo"),

        // Pure OCI values plus the one hashing primitive every layer needs.
        .target(name: "OCI", dependencies: ["COpenSSL", "CBuildInfo"], exclude: readmes(["Manifest"])),
        .target(
            name: "Registry",
            dependencies: [
                "OCI",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            exclude: readmes(["Client", "Auth", "Transport"])
        ),
        .target(
            name: "Bundle",
            dependencies: ["OCI", "CArchive", "CZstd", "COpenSSL"],
            exclude: readmes(["Format", "Crypto", "Codec", "Read", "Write", "Parts", "Trust"])
        ),
        .target(
            name: "Airlock",
            dependencies: [
                "OCI", "Registry", "Bundle",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            // A README per capability folder (Support, Pack, Verify, Push, Serve, Site, Content, Evidence, Diff).
            exclude: readmes(["Support", "Progress", "Trust", "Pack", "Verify", "Push", "Serve", "Site", "Content", "Evidence", "Diff"])
        ),
        .executableTarget(
            name: "airlock",
            dependencies: [
                "Airlock", "OCI", "Registry", "Bundle",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            exclude: readmes(["Vendor", "Review", "Site", "Options"])
        ),
        // Fuzz targets over everything that reads untrusted bytes (scripts/fuzz.sh); built
        // normally it replays saved inputs.
        .executableTarget(
            name: "airlock-fuzz",
            dependencies: ["Airlock", "Bundle", "OCI", "Registry"],
            path: "Fuzz"
        ),

        .target(
            name: "TestSupport",
            dependencies: [
                "OCI", "Registry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/TestSupport"
        ),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Registry", "OCI", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "BundleTests", dependencies: ["Bundle", "OCI", "TestSupport"]),
        .testTarget(
            name: "AirlockTests",
            dependencies: [
                "Airlock", "Registry", "OCI", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)

/// The README of a target and of each of its folders: documentation, not sources.
func readmes(_ folders: [String]) -> [String] {
    ["README.md"] + folders.map { "\($0)/README.md" }
}
