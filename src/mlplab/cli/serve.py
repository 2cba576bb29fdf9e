"""``mlplab serve``: start the playground, a local web app that trains networks live."""

import threading
import webbrowser

from mlplab.cli.config import UsageError

LOCAL = "127.0.0.1"


def add_parser(subparsers):
    """Register ``serve`` and its options."""
    parser = subparsers.add_parser(
        "serve",
        help="start the playground: train networks live in the browser",
        description="Start the playground, a web page that trains mlplab networks live: pick a "
        "data set, a network and its training, watch the decision boundary form. One session "
        "per browser tab. Stop with Ctrl-C.",
    )
    parser.add_argument(
        "--host",
        default=LOCAL,
        help=f"address to listen on (default: {LOCAL}, this machine only; 0.0.0.0 opens the "
        "playground to the network)",
    )
    parser.add_argument("--port", type=int, default=8000, help="port (default: 8000)")
    parser.add_argument(
        "--open", action="store_true", help="open the page in the default web browser"
    )
    parser.add_argument(
        "--runs-dir",
        default="runs",
        metavar="DIR",
        help="where 'save as a run folder' puts the runs (default: runs)",
    )
    parser.add_argument(
        "--max-sessions", type=int, default=8, metavar="N", help="open tabs at once (default: 8)"
    )
    parser.set_defaults(handler=run)


def run(args):
    """Serve the playground until Ctrl-C; returns the exit code."""
    import uvicorn

    from mlplab.serve import Limits, create_app

    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a port number: use 1-65535, e.g. 8000")
    if args.max_sessions < 1:
        raise UsageError(f"--max-sessions {args.max_sessions}: allow at least 1")
    app = create_app(Limits(max_sessions=args.max_sessions), runs_dir=args.runs_dir)
    url = f"http://{'localhost' if args.host in (LOCAL, '0.0.0.0') else args.host}:{args.port}/"
    print(f"mlplab playground on {url} (Ctrl-C stops it)", flush=True)
    if args.open:
        threading.Timer(1.0, webbrowser.open, (url,)).start()
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio")
    return 0
