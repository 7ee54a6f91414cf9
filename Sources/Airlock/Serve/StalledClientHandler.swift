import NIOCore

/// Closes a connection whose client stopped reading: its socket has stayed unwritable (the
/// buffers full, nothing drained) for `limit`. Each drain resets the clock, so a slow reader is
/// never cut; one that reads nothing would otherwise hold its turn to stream a blob for good.
final class StalledClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private let limit: TimeAmount
    private var timer: Scheduled<Void>?

    init(limit: TimeAmount) {
        self.limit = limit
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            timer?.cancel()
            timer = nil
        } else if timer == nil {
            let channel = context.channel
            timer = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}
