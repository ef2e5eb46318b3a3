"""``HttpLedger``: the ``Ledger`` protocol over the wallet HTTP API (Keeptrusts or the sandbox).

Reads are retried (at least 5 attempts by default) with exponential backoff and full jitter on
connection errors, timeouts, 429 and 500/502/503/504, honouring ``Retry-After`` (seconds or an
HTTP date, capped). Writes are never retried here: a write that certainly did not happen (the
connection was refused before anything was sent, or a 4xx) raises the matching error; a write
whose outcome is unknown (timeout or reset after sending, 5xx, a lost response) raises
:class:`AmbiguousWrite`, and the executor searches the wallet for the op key before retrying.
A write answered with ``Idempotent-Replayed: true`` returns its entry with ``replayed=True``.

The bearer token lives only in the client's default headers: it is never logged and never put
in an exception message. Every wire name comes from ``wire.py``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from typing import TypeVar, cast
from urllib.parse import quote

import httpx

from reconciler import __version__, exactjson
from reconciler.clock import Seconds
from reconciler.errors import (
    AmbiguousWrite,
    LedgerConfigError,
    LedgerError,
    LedgerNotFound,
    LedgerUnavailable,
)
from reconciler.ledger import wire
from reconciler.ledger.base import (
    EntryType,
    Reservation,
    Scope,
    TeamObservation,
    Transaction,
    Wallet,
    observation_from_entries,
    since_start,
)
from reconciler.ledger.http_errors import (
    TOKEN_VARIABLE,
    check_token,
    describe,
    error_for,
)
from reconciler.ledger.retry import (
    DEFAULT_BACKOFF,
    RETRYABLE_STATUSES,
    Backoff,
    RetryPolicy,
    parse_retry_after,
)
from reconciler.periods import Period

DEFAULT_TIMEOUT = 30.0
CONNECT_TIMEOUT = 10.0

T = TypeVar("T")


class HttpLedger:
    """The wallet API through an injected ``httpx.Client`` (its ``base_url`` is the service)."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        read_attempts: int = 5,
        backoff: Backoff = DEFAULT_BACKOFF,
        sleep: Callable[[Seconds], None] = time.sleep,
        rng: random.Random | None = None,
        page_size: int = 500,
        max_workers: int = 16,  # reads in flight when a read spans many wallets
    ) -> None:
        if read_attempts < 1:
            raise ValueError("read_attempts must be at least 1")
        self._client = client
        # the one retry policy (ledger/retry.py): reads are retried here and nowhere else
        self._retry = RetryPolicy(
            read_attempts=read_attempts,
            backoff=backoff,
            sleep=sleep,
            rng=rng or random.Random(),
        )
        self._page_size = page_size
        self._max_workers = max_workers

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        token: str | None,
        timeout: Seconds | None = None,
        page_size: int = 500,
        token_name: str = TOKEN_VARIABLE,
    ) -> HttpLedger:
        """A client for ``url`` with TLS verification on and the token as a bearer header.

        The token is checked first (:func:`check_token`), so a token that cannot be a header
        value is refused before any request, without being echoed.
        """
        headers = {"User-Agent": f"reconciler/{__version__}", "Accept": "application/json"}
        if token:
            check_token(token, token_name)
            headers["Authorization"] = f"Bearer {token}"
        total = DEFAULT_TIMEOUT if timeout is None else timeout
        client = httpx.Client(
            base_url=url.rstrip("/"),
            headers=headers,
            timeout=httpx.Timeout(total, connect=min(total, CONNECT_TIMEOUT)),
            verify=True,
            follow_redirects=False,
        )
        return cls(client, page_size=page_size)

    # ---- reads -----------------------------------------------------------------------------

    def list_wallets(self) -> list[Wallet]:
        return _parsed(wire.parse_wallets, self._get(wire.WALLETS))

    def organization_wallet(self) -> Wallet:
        for wallet in self.list_wallets():
            if wallet.scope is Scope.ORGANIZATION:
                return wallet
        raise LedgerNotFound(f"the ledger at {self._base} lists no organization wallet")

    def wallet(self, wallet_id: str) -> Wallet:
        for wallet in self.list_wallets():
            if wallet.id == wallet_id:
                return wallet
        raise LedgerNotFound(f"no wallet {wallet_id!r} in the ledger at {self._base}")

    def balance(self, *, team_id: str | None = None, user_id: str | None = None) -> list[Wallet]:
        """The cascade for a team and/or user: existing wallets, user first, organization last."""
        params = {k: v for k, v in (("team_id", team_id), ("user_id", user_id)) if v}
        return _parsed(wire.parse_balance, self._get(wire.BALANCE, params))

    def team_wallet(self, team_id: str) -> Wallet | None:
        for wallet in self.balance(team_id=team_id):
            if wallet.scope is Scope.TEAM and wallet.owner_id == team_id:
                return wallet
        return None

    def transactions_page(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
        cursor: str | None = None,
    ) -> tuple[list[Transaction], str | None]:
        params: dict[str, str] = {"limit": str(limit or self._page_size)}
        if since is not None:
            params["since"] = wire.timestamp(since)
        if until is not None:
            params["until"] = wire.timestamp(until)
        if cursor:
            params["cursor"] = cursor
        path = wire.TRANSACTIONS.format(wallet_id=quote(wallet_id, safe=""))
        page, following = _parsed(wire.parse_transactions, self._get(path, params))
        asked = limit or self._page_size
        if len(page) > asked:
            raise LedgerError(
                f"GET {path} on the ledger at {self._base} answered {len(page)} entries for "
                f"limit {asked}: refusing an answer that does not keep the paging contract"
            )
        return page, following

    def transactions(
        self,
        wallet_id: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> Iterator[Transaction]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            page, cursor = self.transactions_page(
                wallet_id, since=since, until=until, cursor=cursor
            )
            yield from page
            if cursor is None:
                return
            if cursor in seen:
                raise LedgerError(
                    f"the ledger at {self._base} pages {wallet_id}'s transactions in a loop "
                    f"(cursor {exactjson.clip(cursor)} came back): refusing to read on; "
                    "report it to the ledger's operators"
                )
            seen.add(cursor)

    def settlements(
        self, *, since: datetime, until: datetime, wallets: Sequence[Wallet] | None = None
    ) -> list[Transaction]:
        """The settlement entries of every wallet with since <= created_at < until, in time
        order: the wallet list (``wallets``, when the caller has just read it), then each
        wallet's entries of that window, read concurrently (bounded pool) — the API filters by
        time, not by type, so the type is filtered here."""
        found = self._each(
            lambda w: [
                e
                for e in self.transactions(w.id, since=since, until=until)
                if e.type is EntryType.SETTLEMENT
            ],
            self.list_wallets() if wallets is None else list(wallets),
        )
        entries = [entry for wallet_entries in found for entry in wallet_entries]
        entries.sort(key=lambda e: e.created_at)  # stable: a wallet's own order is kept
        return entries

    def observe(self, team_ids: Iterable[str], period: Period) -> dict[str, TeamObservation]:
        """One wallet list, then each team's entries since the period start, read page by page
        and concurrently (bounded pool); never a team's whole history while the wallet stands
        still (``observation_since_start``)."""
        wanted = list(dict.fromkeys(team_ids))
        wallets = self._team_wallets(wanted)
        present = [wallets[t] for t in wanted if t in wallets]
        found = self._each(lambda w: self._observe_one(w, period), present)
        seen = dict(zip([w.owner_id for w in present], found, strict=True))
        return {
            team_id: seen.get(team_id) or TeamObservation(team_id, None, (), 0)
            for team_id in wanted
        }

    def _each(self, read: Callable[[Wallet], T], wallets: list[Wallet]) -> list[T]:
        """``read`` of every wallet, in their order, at most ``max_workers`` in flight."""
        with ThreadPoolExecutor(max_workers=max(1, min(self._max_workers, len(wallets)))) as pool:
            return list(pool.map(read, wallets))

    def _observe_one(self, wallet: Wallet, period: Period) -> TeamObservation:
        """One team's observation, whose amounts never predate the flows it fingerprints: the
        executor trusts a flow the plan saw (DESIGN §8), so the plan must also have seen the
        balance that flow left. The listed wallet serves when the entries since the start
        chain and end at its balance (``SinceStart.observe``); otherwise the wallet is read
        again after them, and when even that does not agree, the whole history is read, then
        the wallet once more."""
        owner = wallet.owner_id
        recent = since_start(self.transactions(wallet.id, since=period.start), period)
        found = recent.observe(owner, wallet)
        if found is None:
            found = recent.observe(owner, self._read_again(wallet), read_after=True)
        if found is not None:
            return found
        whole = observation_from_entries(owner, wallet, self.transactions(wallet.id), period)
        return replace(whole, wallet=self._read_again(wallet))

    def _read_again(self, wallet: Wallet) -> Wallet:
        again = self.team_wallet(wallet.owner_id)
        if again is None or again.id != wallet.id:
            raise LedgerError(
                f"the ledger at {self._base} listed wallet {wallet.id} for {wallet.owner_id}, "
                "then no longer shows it: refusing to plan on answers that disagree; retry later"
            )
        return again

    def _team_wallets(self, wanted: list[str]) -> dict[str, Wallet]:
        """Team wallets by owner, cross-checked: a team the list does not show must have no
        wallet in its balance cascade either, or a list that hides a wallet would make its team
        look new and fund it again. A wallet another run created between the two reads shows
        in the list read once more; one that still does not is refused."""
        wallets = {w.owner_id: w for w in self.list_wallets() if w.scope is Scope.TEAM}
        hidden = [t for t in wanted if t not in wallets and self.team_wallet(t) is not None]
        if not hidden:
            return wallets
        again = {w.owner_id: w for w in self.list_wallets() if w.scope is Scope.TEAM}
        still = [t for t in hidden if t not in again]
        if still:
            raise LedgerError(
                f"the ledger at {self._base} lists no wallet for {still[0]}, but its balance "
                "cascade shows one: refusing to plan on answers that disagree; retry later"
            )
        return again

    # ---- writes ----------------------------------------------------------------------------

    def credit(
        self, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction:
        body = wire.movement_body(amount, note)
        return self._write(wire.CREDIT, body, idempotency_key, wire.parse_transaction_response)

    def allocate(
        self, team_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction:
        body = wire.movement_body(amount, note, team_id)
        return self._write(wire.ALLOCATE, body, idempotency_key, wire.parse_transaction_response)

    def reclaim(
        self, team_id: str, amount: int, *, note: str = "", idempotency_key: str | None = None
    ) -> Transaction:
        body = wire.movement_body(amount, note, team_id)
        return self._write(wire.RECLAIM, body, idempotency_key, wire.parse_transaction_response)

    def reserve(
        self,
        request_id: str,
        estimated_cost: int,
        *,
        user_id: str | None = None,
        team_id: str | None = None,
        consumer_group: str | None = None,
        timeout_seconds: int | None = None,
    ) -> Reservation:
        body = wire.reserve_body(
            request_id,
            estimated_cost,
            user_id=user_id,
            team_id=team_id,
            consumer_group=consumer_group,
            timeout_seconds=timeout_seconds,
        )
        return self._write(wire.RESERVE, body, None, wire.parse_reservation)

    def settle(self, reservation_id: str, actual_cost: int) -> Transaction:
        body = wire.settle_body(reservation_id, actual_cost)
        return self._write(wire.SETTLE, body, None, wire.parse_transaction_response)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpLedger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- transport -------------------------------------------------------------------------

    @property
    def _base(self) -> str:
        return str(self._client.base_url).rstrip("/")

    def _get(self, path: str, params: dict[str, str] | None = None) -> wire.JSONValue:
        reason = ""
        last: Exception | None = None
        attempts = self._retry.read_attempts
        for attempt in range(1, attempts + 1):
            wait: Seconds | None = None
            try:
                response = self._client.get(path, params=params)
            except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
                raise LedgerConfigError(f"bad ledger URL {self._base}: {exc}") from exc
            except httpx.TransportError as exc:
                reason, last = describe(exc), exc
            except httpx.HTTPError as exc:
                raise LedgerError(
                    f"GET {path} on the ledger at {self._base}: {describe(exc)}"
                ) from exc
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return self._result(response, "GET", path, write=False)
                reason = f"HTTP {response.status_code}"
                wait = parse_retry_after(response.headers.get("Retry-After"))
            if attempt == attempts:
                break
            self._retry.pause(attempt - 1, at_least=wait)
        raise LedgerUnavailable(
            f"GET {path} on the ledger at {self._base} failed {attempts} times "
            f"(last: {reason}); check that the service is up and retry later"
        ) from last

    def _write(
        self,
        path: str,
        body: dict[str, object],
        key: str | None,
        parse: Callable[[wire.JSONValue], T],
    ) -> T:
        """POST once; a 2xx answer that cannot be read means the write happened: ambiguous."""
        try:
            data, headers = self._post(path, body, key)
            result = parse(data)
        except wire.WireError as exc:
            raise AmbiguousWrite(
                f"POST {path}: the ledger accepted the request but its answer is unreadable "
                f"({exc}); search the wallet's transactions before retrying"
            ) from exc
        if isinstance(result, Transaction) and wire.is_replay(headers):
            return cast(T, replace(result, replayed=True))
        return result

    def _post(
        self, path: str, body: dict[str, object], key: str | None
    ) -> tuple[wire.JSONValue, httpx.Headers]:
        headers = {"Content-Type": "application/json"}
        if key:
            headers[wire.IDEMPOTENCY_HEADER] = key
        content = wire.dumps(body).encode("utf-8")
        what = f"POST {path}" + (f" (idempotency key {key})" if key else "")
        try:
            response = self._client.post(path, content=content, headers=headers)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise LedgerConfigError(f"bad ledger URL {self._base}: {exc}") from exc
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise LedgerUnavailable(
                f"{what}: could not connect to the ledger at {self._base} ({describe(exc)}); "
                "nothing was written, retry later"
            ) from exc
        except httpx.HTTPError as exc:  # timeouts, resets, protocol errors after sending
            raise AmbiguousWrite(
                f"{what}: {describe(exc)} after the request was sent; it may or may not have "
                "been applied: search the wallet's transactions before retrying"
            ) from exc
        if response.status_code == 429:
            after = response.headers.get("Retry-After")
            error = LedgerUnavailable(
                f"{what}: rate limited (429); nothing was written, retry after {after or 'a while'}"
            )
            error.retry_after = parse_retry_after(after)
            raise error
        if response.status_code >= 500:
            raise AmbiguousWrite(
                f"{what}: HTTP {response.status_code} from the ledger at {self._base}; it may or "
                "may not have been applied: search the wallet's transactions before retrying"
            )
        return self._result(response, "POST", path, write=True), response.headers

    def _result(
        self, response: httpx.Response, method: str, path: str, *, write: bool
    ) -> wire.JSONValue:
        status = response.status_code
        if 200 <= status < 300:
            try:
                return wire.loads(response.content)
            except wire.WireError as exc:
                if write:
                    raise  # _write: the write happened, its answer is unreadable
                raise LedgerError(f"{method} {path}: unreadable response: {exc}") from exc
        body = wire.parse_error(response.content)
        raise error_for(status, body, f"{method} {path}", write=write)


def _parsed(parse: Callable[[wire.JSONValue], T], data: wire.JSONValue) -> T:
    try:
        return parse(data)
    except wire.WireError as exc:
        raise LedgerError(f"unexpected response from the ledger: {exc}") from exc
