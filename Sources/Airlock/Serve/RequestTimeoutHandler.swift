import NIOCore
import NIOHTTP1

/// Closes a connection that is slow to ask: a request head must arrive whole within `header` of
/// its first byte (for a new connection, of its opening), and a keep-alive connection may wait
/// between requests for at most `idle`. A client that drips a header byte at a time so holds no
/// connection longer than `header`. No clock runs here while a request is answered: sending is
/// `StalledClientHandler`'s. Sits after the HTTP decoder, which fires a read-complete for every
/// socket read even when no request part is whole yet: that is how the first byte is seen.
final class RequestTimeoutHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State { case betweenRequests, readingHead, answering }

    private let header: TimeAmount
    private let idle: TimeAmount
    private var state = State.readingHead
    private var timer: Scheduled<Void>?

    init(header: TimeAmount, idle: TimeAmount) {
        self.header = header
        self.idle = idle
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(header, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(header, context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            state = .answering
            disarm()
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if state == .betweenRequests {
            state = .readingHead
            arm(header, context: context)
        }
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), state == .answering {
            state = .betweenRequests
            arm(idle, context: context)
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    private func arm(_ limit: TimeAmount, context: ChannelHandlerContext) {
        disarm()
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: limit) { channel.close(promise: nil) }
    }

    private func disarm() {
        timer?.cancel()
        timer = nil
    }
}
