"""`paperlist serve`: the review page in the browser (pipeline/web/)."""

from __future__ import annotations

import click

from .base import config_option, load


@click.command()
@click.option("--host", metavar="ADDRESS", help="Where to listen (default: serve.host, "
              "127.0.0.1). Beyond loopback an access token must be set (serve.token_env).")
@click.option("--port", type=click.IntRange(0, 65535), help="The port (default: serve.port, "
              "8765; 0 picks a free one).")
@config_option
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the review page: the week's shortlist, drafts beside their evidence, edits,
    approval, publishing and the runs' status, in a browser.

    It reads and writes the same state database and files as the other commands, under the
    same run lock. Ctrl-C stops it.
    """
    from ..web.server import Server
    from ..web.server import serve as run

    config = load(ctx)

    def ready(server: Server) -> None:
        signed = " (it asks for the access token)" if server.token_required else ""
        click.echo(f"Review page: {server.url}{signed}; Ctrl-C stops it.", err=True)

    run(config, host if host is not None else config.serve.host,
        port if port is not None else config.serve.port, ready)
