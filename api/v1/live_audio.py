"""Pushed audio of a live room over a WebSocket: binary frames in, one JSON text message per
result out. The key comes in the Authorization header or a first text message; only a room that
takes pushed input (no source URL) accepts audio, and only from a key that may see it.

With a broker (QINGLANG_BROKER_URL) the audio goes to the room's input stream for the worker that
holds it: each frame is answered `{"type": "queued", "queued": 1, "input_entry": id}` (the results
appear as the room's events)."""

from __future__ import annotations

import json
from typing import Annotated

import anyio
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from api.core.ws_messages import MessageRefused, read_text_message
from api.v1.live import room_visible
from api.v1.schemas.common import RecordId
from monitor.errors import InputError
from monitor.live.broker_rooms import BrokerRooms, BrokerUnavailable
from monitor.live.stored_rooms import RoomNotActive
from monitor.store.api_keys import Principal, authenticate

router = APIRouter(tags=["live"])
_AUDIO_FORMATS = ("pcm", "encoded")
AUTH_WAIT_S = 10.0  # a socket without a key in its header must send one this soon


@router.websocket("/v1/live/rooms/{room_id}/audio")
async def room_audio(
    websocket: WebSocket, room_id: RecordId, format: Annotated[str, Query()] = "pcm"
) -> None:
    """Binary frames of 16 kHz mono s16le PCM (or, with ?format=encoded, self-contained WAV/TS/Ogg
    chunks); a JSON text message per result. Auth: the Authorization header, or a first text
    message {"token": KEY}. A text message {"flush": true} checks what is buffered."""
    await websocket.accept()
    caller = await _ws_caller(websocket)
    if caller is None:
        return
    rooms = getattr(websocket.app.state, "live_rooms", None)
    room = rooms.get(room_id) if rooms else None
    if format not in _AUDIO_FORMATS:
        await websocket.close(
            1008,
            f"格式须为 {'、'.join(_AUDIO_FORMATS)} / format must be one of {', '.join(_AUDIO_FORMATS)}",
        )
        return
    if not room_visible(caller, room):
        await websocket.close(1008, f"直播间不存在 / no room {room_id}")
        return
    if not rooms.is_live(room_id) or room["source_url"]:
        await websocket.close(
            1008, f"直播间 {room_id} 不接收推送音频 / room {room_id} does not take pushed audio"
        )
        return
    push = rooms.push_encoded if format == "encoded" else rooms.push_pcm
    broker = isinstance(rooms, BrokerRooms)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                if message.get("bytes") is not None:
                    data = message["bytes"]
                    if format == "pcm" and len(data) % 2:
                        raise InputError(
                            "PCM 帧长度须为偶数 / a PCM frame must have an even length"
                        )
                    pushed = await run_in_threadpool(push, room_id, data)
                    events = [{"type": "queued", **pushed}] if broker else pushed
                else:
                    request = read_text_message(message.get("text") or "")
                    if not request.get("flush"):
                        raise InputError(
                            '未知消息 / unknown message (send {"flush": true} or audio)'
                        )
                    events = [] if broker else await run_in_threadpool(rooms.flush, room_id)
                    events.append({"type": "flushed"})
            except MessageRefused as exc:
                await websocket.close(exc.code, exc.reason)
                return
            except RoomNotActive:
                await websocket.close(
                    1008, f"直播间 {room_id} 未在监测 / room {room_id} is not active"
                )
                return
            except BrokerUnavailable:
                await websocket.close(1013, "任务队列暂不可用 / the work broker is unavailable")
                return
            except InputError as exc:
                events = [{"type": "error", "message": str(exc)}]
            for event in events:
                await websocket.send_text(json.dumps(event, ensure_ascii=False))
    except WebSocketDisconnect:
        return


async def _ws_caller(websocket: WebSocket) -> Principal | None:
    """The key's principal from the header or the first message; else close with 1008."""
    header = websocket.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        key = header[7:].strip()
    else:
        try:
            with anyio.fail_after(AUTH_WAIT_S):
                key = read_text_message(await websocket.receive_text()).get("token")
        except MessageRefused as exc:
            await websocket.close(exc.code, exc.reason)
            return None
        except (InputError, KeyError, RuntimeError, WebSocketDisconnect, TimeoutError):
            key = None
    principal = None
    if isinstance(key, str) and key:
        db = websocket.app.state.services.connect()
        try:
            principal = authenticate(db, key)
        finally:
            db.conn.close()
    if principal is None:
        await websocket.close(1008, "缺少或无效的 API 密钥 / missing or invalid API key")
        return None
    if principal.role not in ("regulator", "platform", "anchor"):
        await websocket.close(1008, "此密钥无权推送音频 / this key may not push audio")
        return None
    return principal
