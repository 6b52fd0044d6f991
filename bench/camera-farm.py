#!/usr/bin/python3
"""A farm of independent fake cameras for the benchmark: one RTSP server process (GStreamer, a thread
pool) with one mount point per camera, /cam0 ... /camN-1. Every session plays a pre-encoded clip
(H.264 + G.711 A-law in a MOV, made once by bench/clip.ts) in real time from its start, payloaded
without re-encoding, so the rig costs little and each camera is its own stream, as real cameras are.

usage: camera-farm.py CLIP CAMERAS [--threads N]
Prints "ready rtsp://127.0.0.1:PORT/cam" on stdout once it listens (append the camera's index).
"""
import argparse
import signal
import sys
import threading
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


SPANS = {}  # media -> (camera index, {"first", "end"}) until the session is told
# Lines come from the main loop (PLAY, a closed connection) and from media threads (a TEARDOWN):
# Python's text stdout is not thread-safe, and two sessions ending at once lost a line.
STDOUT = threading.Lock()


def say(line):
    with STDOUT:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def count_sent(_factory, media, index):
    """Counts the video a session's pipeline sends: first to last frame timestamp, plus one frame."""
    span = {"first": None, "end": None}
    SPANS[media] = (index, span)

    def on_buffer(_pad, info):
        # A probe that raises returns 0, which is DROP: counting must never cost the camera a frame.
        try:
            buf = info.get_buffer()
            if buf.pts != Gst.CLOCK_TIME_NONE:
                duration = buf.duration if buf.duration != Gst.CLOCK_TIME_NONE else 0
                span["first"] = buf.pts if span["first"] is None else min(span["first"], buf.pts)
                span["end"] = buf.pts + duration if span["end"] is None else max(span["end"], buf.pts + duration)
        except Exception as error:  # noqa: BLE001 - reported, and the "sent" figure is then suspect
            print(f"camera farm: cannot count a buffer of /cam{index}: {error}", file=sys.stderr, flush=True)
        return Gst.PadProbeReturn.OK

    media.get_element().get_by_name("pay0").get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, on_buffer)
    media.connect("unprepared", tell_sent)


def tell_sent(media):
    """Prints "sent /camN SECONDS MS" once per session, when its recorder goes: by TEARDOWN (the
    media is unprepared) or by closing the connection (a killed recorder sends no TEARDOWN, and its
    session would otherwise live on until it times out, still counting)."""
    index, span = SPANS.pop(media, (None, None))  # popped: a second call finds nothing
    if span is None or span["first"] is None:
        return
    secs = (span["end"] - span["first"]) / Gst.SECOND
    say(f"sent /cam{index} {secs:.3f} {int(time.time() * 1000)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clip")
    parser.add_argument("cameras", type=int)
    parser.add_argument("--threads", type=int, default=4, help="RTSP client threads (media run in their own)")
    args = parser.parse_args()
    Gst.init(None)
    # PyGObject loads a wrapper class on first use; two media threads loading Gst.PadProbeInfo at once
    # got "Expected Gst.PadProbeInfo, but got gi.repository.Gst.PadProbeInfo". Load them here, once.
    _ = (Gst.PadProbeInfo, Gst.Buffer, Gst.PadProbeReturn.OK, Gst.PadProbeType.BUFFER)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service("0")
    server.set_backlog(256)
    server.get_thread_pool().set_max_threads(args.threads)
    # No decoding, no encoding: demux, parse, payload. The sinks pace the file in real time.
    launch = (
        f"( filesrc location={args.clip} ! qtdemux name=d "
        "d.video_0 ! queue ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 "
        "d.audio_0 ! queue ! rtppcmapay name=pay1 pt=8 )"
    )
    mounts = server.get_mount_points()
    for i in range(args.cameras):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch)
        factory.set_shared(False)  # every session its own pipeline, from the clip's start
        factory.connect("media-configure", count_sent, i)
        mounts.add_factory(f"/cam{i}", factory)
    # "play /camN MS" when a session starts playing: the first frame leaves right after.
    playing = {}  # client -> the media it plays

    def on_play(client, ctx):
        say(f"play {ctx.uri.abspath} {int(time.time() * 1000)}")
        if ctx.sessmedia is not None:
            playing.setdefault(client, []).append(ctx.sessmedia.get_media())

    def on_closed(client):
        for media in playing.pop(client, []):
            tell_sent(media)

    def on_connected(_server, client):
        client.connect("play-request", on_play)
        client.connect("closed", on_closed)

    server.connect("client-connected", on_connected)
    if server.attach(None) == 0:
        print("camera farm: cannot listen", file=sys.stderr)
        sys.exit(1)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    say(f"ready rtsp://127.0.0.1:{server.get_bound_port()}/cam")
    loop.run()


if __name__ == "__main__":
    main()
