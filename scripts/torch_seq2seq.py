#!/usr/bin/env python3
"""d2l 1.0's RNN encoder-decoder (9.6-9.7) and its Bahdanau-attention variant (10.4) in PyTorch, trained on G2P data
exactly as webrnn's wr.seq2seq does: the reference for issue 13's agreement test and the way to train at a scale
one machine can't (torchrun + DDP).

  python3 scripts/torch_seq2seq.py --data ../shared/data/cmudict-g014b2b/train.tsv --attention \
      --epochs 1 --max-steps 50 --save-init s2s-init.safetensors --save s2s.safetensors
  python3 scripts/torch_seq2seq.py --init s2s-init.safetensors ...            # start from given weights
  torchrun --nproc_per_node 8 scripts/torch_seq2seq.py --device cuda ...      # DDP: batches sharded by rank

Everything webrnn must match lives here once (test/fixtures/gen_fixtures_nn.py imports it):
  * Data: the same steps as src/data/g2p.ts: vocabularies <pad> 0, <bos> 1, <eos> 2, <unk> 3, then the symbols
    sorted; the whole-word split shuffles the distinct words with webrnn's data.makeRng (mulberry32) and
    shuffleInPlace; an epoch's batches are g2pBatches(train, vocabs, {batchSize, seed: seed + epoch}). src is
    graphemes + <eos> (d2l appends <eos> to the source), decIn = <bos> + target[:-1], target = phonemes + <eos>.
  * Model: d2l's Seq2SeqEncoder (Embedding -> GRU over all S steps), Seq2SeqDecoder (GRU input = embedding ++ the
    encoder's final top-layer output, initial state = the encoder's state, Linear `dense`) and
    Seq2SeqAttentionDecoder (AdditiveAttention W_q, W_k, w_v without bias, scores masked past srcValidLens with
    -1e6, GRU input = context ++ embedding). d2l's LazyLinear layers are plain nn.Linear here, so init_seq2seq
    (Xavier uniform) reaches every Linear and GRU weight, as API.md 13 says (in d2l itself the lazy layers keep
    PyTorch's default init because they are materialised after `apply`).
  * Loss: cross entropy with ignore_index = <pad>, the mean over the real tokens (d2l's masked Seq2Seq.loss).
  * Step: Adam, d2l's clip_gradients (global L2 norm, scaled to theta when above it) before each step.
  * Files: .safetensors in webrnn's names (encoder.rnn.weight_ih_l0, ...; d2l's own spelling encoder.rnn.rnn.* is
    accepted on load), metadata: {"format": "pt", "config": JSON, "graphemes": JSON list, "phonemes": JSON list}.
"""
import argparse
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

SPECIALS = ['<pad>', '<bos>', '<eos>', '<unk>']
PAD, BOS, EOS, UNK = 0, 1, 2, 3


# ------------------------------------------------------------------ data (mirrors src/data/g2p.ts)
def make_rng(seed):
    """webrnn's data.makeRng: mulberry32, floats in [0, 1)."""
    state = int(seed) & 0xFFFFFFFF

    def imul(a, b):
        return (a * b) & 0xFFFFFFFF

    def rng():
        nonlocal state
        state = (state + 0x6D2B79F5) & 0xFFFFFFFF
        t = state
        t = imul(t ^ (t >> 15), t | 1)
        t ^= (t + imul(t ^ (t >> 7), t | 61)) & 0xFFFFFFFF
        return ((t ^ (t >> 14)) & 0xFFFFFFFF) / 4294967296
    return rng


def shuffle_in_place(items, rng):
    """webrnn's data.shuffleInPlace (Fisher-Yates from the end)."""
    for i in range(len(items) - 1, 0, -1):
        j = math.floor(rng() * (i + 1))
        items[i], items[j] = items[j], items[i]
    return items


def parse_tsv(text):
    """WORD<TAB>PH PH ... lines -> [(word, graphemes, phonemes)]; blank lines skipped."""
    entries = []
    for n, line in enumerate(text.split('\n'), 1):
        line = line.rstrip('\r')
        if not line.strip():
            continue
        word, tab, phones = line.partition('\t')
        word, phones = word.strip(), phones.split()
        if not tab or not word or not phones:
            raise ValueError(f'G2P TSV line {n}: expected "WORD<TAB>PHONEMES", got {line!r}')
        entries.append((word, list(word), phones))
    return entries


def build_vocabs(entries):
    """(graphemes, phonemes): SPECIALS at 0-3, then the distinct symbols sorted."""
    def make(symbols):
        return SPECIALS + sorted(set(symbols) - set(SPECIALS))
    return make(g for e in entries for g in e[1]), make(p for e in entries for p in e[2])


def references(entries):
    refs = {}
    for word, _, phones in entries:
        refs.setdefault(word, []).append(phones)
    return refs


def split_by_word(entries, num_valid, seed=0):
    words = list(references(entries))
    if not 0 <= num_valid <= len(words):
        raise ValueError(f'num_valid must be in 0..{len(words)}')
    held = set(shuffle_in_place(words, make_rng(seed))[:num_valid])
    return [e for e in entries if e[0] not in held], [e for e in entries if e[0] in held]


def make_batches(entries, vocabs, batch_size, seed=0, shuffle=True, per_word=False):
    """webrnn's g2pBatches: shuffle, stable sort by (source, target) length, cut, shuffle the batch order."""
    refs = references(entries)
    rows = list(entries)
    if per_word:
        first = {}
        for e in entries:
            first.setdefault(e[0], e)
        rows = list(first.values())
    rng = make_rng(seed)
    if shuffle:
        shuffle_in_place(rows, rng)
    rows.sort(key=lambda e: (len(e[1]), len(e[2])))
    g_idx = {s: i for i, s in enumerate(vocabs[0])}
    p_idx = {s: i for i, s in enumerate(vocabs[1])}
    batches = []
    for i in range(0, len(rows), batch_size):
        chunk = rows[i:i + batch_size]
        B = len(chunk)
        S = max(len(e[1]) for e in chunk) + 1
        T = max(len(e[2]) for e in chunk) + 1
        src = torch.full((B, S), PAD, dtype=torch.long)
        dec_in = torch.full((B, T), PAD, dtype=torch.long)
        target = torch.full((B, T), PAD, dtype=torch.long)
        lens = torch.zeros(B, dtype=torch.long)
        for b, (_, graphemes, phones) in enumerate(chunk):
            s = [g_idx.get(g, UNK) for g in graphemes] + [EOS]
            t = [p_idx.get(p, UNK) for p in phones] + [EOS]
            src[b, :len(s)] = torch.tensor(s)
            lens[b] = len(s)
            target[b, :len(t)] = torch.tensor(t)
            dec_in[b, :len(t)] = torch.tensor([BOS] + t[:-1])
        batches.append({'src': src, 'srcValidLens': lens, 'decIn': dec_in, 'target': target,
                        'words': [e[0] for e in chunk], 'refs': [refs[e[0]] for e in chunk]})
    if shuffle:
        shuffle_in_place(batches, rng)
    return batches


# ------------------------------------------------------------------ model (d2l 1.0)
def init_seq2seq(module):
    """d2l's init_seq2seq: Xavier uniform for Linear weights and every GRU weight matrix."""
    if type(module) == nn.Linear:
        nn.init.xavier_uniform_(module.weight)
    if type(module) == nn.GRU:
        for param in module._flat_weights_names:
            if 'weight' in param:
                nn.init.xavier_uniform_(module._parameters[param])


class GRU(nn.Module):
    """d2l.GRU: a wrapper, hence d2l's state-dict names encoder.rnn.rnn.*."""

    def __init__(self, num_inputs, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.rnn = nn.GRU(num_inputs, num_hiddens, num_layers, dropout=dropout)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class Seq2SeqEncoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size, num_hiddens, num_layers, dropout)
        self.apply(init_seq2seq)

    def forward(self, X, *args):
        embs = self.embedding(X.t().long())   # [S, B, E]
        return self.rnn(embs)                 # outputs [S, B, H], state [L, B, H]


class Seq2SeqDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_all_outputs, *args):
        return enc_all_outputs

    def forward(self, X, state):
        embs = self.embedding(X.t().long())                  # [T, B, E]
        enc_output, hidden_state = state
        context = enc_output[-1].repeat(embs.shape[0], 1, 1)  # [T, B, H]
        outputs, hidden_state = self.rnn(torch.cat((embs, context), -1), hidden_state)
        return self.dense(outputs).swapaxes(0, 1), [enc_output, hidden_state]


def masked_softmax(X, valid_lens):
    """d2l's masked_softmax over the last axis: entries past valid_lens get -1e6."""
    shape = X.shape
    valid = torch.repeat_interleave(valid_lens, shape[1])
    X = X.reshape(-1, shape[-1])
    mask = torch.arange(shape[-1], dtype=torch.float32, device=X.device)[None, :] < valid[:, None]
    X = X.masked_fill(~mask, -1e6)  # d2l writes in place; out of place here so autograd is happy either way
    return F.softmax(X.reshape(shape), dim=-1)


class AdditiveAttention(nn.Module):
    def __init__(self, num_hiddens, dropout, query_size=None, key_size=None):
        super().__init__()
        self.W_k = nn.Linear(key_size or num_hiddens, num_hiddens, bias=False)
        self.W_q = nn.Linear(query_size or num_hiddens, num_hiddens, bias=False)
        self.w_v = nn.Linear(num_hiddens, 1, bias=False)
        self.dropout = nn.Dropout(dropout)

    def forward(self, queries, keys, values, valid_lens):
        queries, keys = self.W_q(queries), self.W_k(keys)
        features = torch.tanh(queries.unsqueeze(2) + keys.unsqueeze(1))
        scores = self.w_v(features).squeeze(-1)                # [B, 1, S]
        self.attention_weights = masked_softmax(scores, valid_lens)
        return torch.bmm(self.dropout(self.attention_weights), values)


class Seq2SeqAttentionDecoder(nn.Module):
    def __init__(self, vocab_size, embed_size, num_hiddens, num_layers, dropout=0):
        super().__init__()
        self.attention = AdditiveAttention(num_hiddens, dropout)
        self.embedding = nn.Embedding(vocab_size, embed_size)
        self.rnn = nn.GRU(embed_size + num_hiddens, num_hiddens, num_layers, dropout=dropout)
        self.dense = nn.Linear(num_hiddens, vocab_size)
        self.apply(init_seq2seq)

    def init_state(self, enc_outputs, enc_valid_lens):
        outputs, hidden_state = enc_outputs
        return (outputs.permute(1, 0, 2), hidden_state, enc_valid_lens)

    def forward(self, X, state):
        enc_outputs, hidden_state, enc_valid_lens = state
        X = self.embedding(X.long()).permute(1, 0, 2)
        outputs, self._attention_weights = [], []
        for x in X:
            query = hidden_state[-1].unsqueeze(1)                                 # [B, 1, H]
            context = self.attention(query, enc_outputs, enc_outputs, enc_valid_lens)
            x = torch.cat((context, x.unsqueeze(1)), dim=-1)
            out, hidden_state = self.rnn(x.permute(1, 0, 2), hidden_state)
            outputs.append(out)
            self._attention_weights.append(self.attention.attention_weights)
        outputs = self.dense(torch.cat(outputs, dim=0))
        return outputs.permute(1, 0, 2), [enc_outputs, hidden_state, enc_valid_lens]


class Seq2Seq(nn.Module):
    """d2l's EncoderDecoder; forward(src, srcValidLens, decIn) -> logits [B, T, V] (webrnn's argument order)."""

    def __init__(self, src_vocab_size, tgt_vocab_size, embed_size, hidden_size, num_layers=1, dropout=0.0,
                 attention=False):
        super().__init__()
        self.config = dict(srcVocabSize=src_vocab_size, tgtVocabSize=tgt_vocab_size, embedSize=embed_size,
                           hiddenSize=hidden_size, numLayers=num_layers, dropout=dropout, attention=attention)
        self.encoder = Seq2SeqEncoder(src_vocab_size, embed_size, hidden_size, num_layers, dropout)
        Decoder = Seq2SeqAttentionDecoder if attention else Seq2SeqDecoder
        self.decoder = Decoder(tgt_vocab_size, embed_size, hidden_size, num_layers, dropout)

    def forward(self, src, src_valid_lens, dec_in):
        enc_all_outputs = self.encoder(src, src_valid_lens)
        dec_state = self.decoder.init_state(enc_all_outputs, src_valid_lens)
        return self.decoder(dec_in, dec_state)[0]

    @torch.no_grad()
    def greedy(self, src, src_valid_lens, max_len):
        """d2l's predict_step, stopping each row at <eos>: token lists without bos/eos."""
        state = self.decoder.init_state(self.encoder(src, src_valid_lens), src_valid_lens)
        y = torch.full((src.shape[0], 1), BOS, dtype=torch.long, device=src.device)
        out, done = [[] for _ in range(src.shape[0])], [False] * src.shape[0]
        for _ in range(max_len + 1):
            logits, state = self.decoder(y, state)
            y = logits.argmax(2)
            for b, t in enumerate(y[:, 0].tolist()):
                if not done[b]:
                    if t == EOS or len(out[b]) == max_len:
                        done[b] = True
                    else:
                        out[b].append(t)
            if all(done):
                break
        return out


def seq2seq_loss(logits, target):
    """d2l's masked Seq2Seq.loss == cross entropy with ignore_index = <pad> (mean over real tokens)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.reshape(-1), ignore_index=PAD)


def clip_gradients(params, theta):
    """d2l's Trainer.clip_gradients."""
    norm = torch.sqrt(sum(torch.sum(p.grad ** 2) for p in params))
    if norm > theta:
        for p in params:
            p.grad[:] *= theta / norm


# ------------------------------------------------------------------ names and files
def to_webrnn_names(state_dict):
    """d2l's spelling (encoder.rnn.rnn.*, decoder.rnn.rnn.*) -> webrnn's (encoder.rnn.*, decoder.rnn.*)."""
    out = {}
    for k, v in state_dict.items():
        for part in ('encoder', 'decoder'):
            if k.startswith(f'{part}.rnn.rnn.'):
                k = f'{part}.rnn.' + k[len(f'{part}.rnn.rnn.'):]
        out[k] = v
    return out


def load_webrnn_state(model, tensors):
    """Loads a state dict in either spelling into the d2l module tree."""
    own = model.state_dict()
    mapped = {}
    for k, v in tensors.items():
        cand = [k, k.replace('encoder.rnn.', 'encoder.rnn.rnn.', 1), k.replace('decoder.rnn.', 'decoder.rnn.rnn.', 1)]
        name = next((c for c in cand if c in own), None)
        if name is None:
            raise KeyError(f'unexpected tensor {k!r}')
        if tuple(own[name].shape) != tuple(v.shape):
            raise ValueError(f'{k}: shape {tuple(v.shape)}, the model has {tuple(own[name].shape)}')
        mapped[name] = v
    missing = set(own) - set(mapped)
    if missing:
        raise KeyError(f'missing tensors: {sorted(missing)}')
    model.load_state_dict(mapped)


def save_safetensors(path, tensors, metadata=None):
    """The safetensors layout (as safetensors.torch.save_file writes it): u64 header size, JSON header, F32 blobs."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    for name in sorted(tensors):
        data = tensors[name].detach().cpu().contiguous().numpy().astype('<f4').tobytes()
        header[name] = {'dtype': 'F32', 'shape': list(tensors[name].shape),
                        'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(',', ':')).encode('utf-8')
    raw += b' ' * (-len(raw) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(raw)) + raw + b''.join(blobs))


def load_safetensors(path):
    """-> ({name: float32 tensor}, metadata dict); F32 only."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        body = f.read()
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, info in header.items():
        if info['dtype'] != 'F32':
            raise ValueError(f'{name}: dtype {info["dtype"]}, only F32 is read')
        a, b = info['data_offsets']
        tensors[name] = torch.from_numpy(np.frombuffer(body[a:b], dtype='<f4').copy()).reshape(info['shape'])
    return tensors, meta


def save_model(path, model, vocabs):
    meta = {'format': 'pt', 'config': json.dumps(model.config),
            'graphemes': json.dumps(vocabs[0]), 'phonemes': json.dumps(vocabs[1])}
    save_safetensors(path, to_webrnn_names(model.state_dict()), meta)


# ------------------------------------------------------------------ scoring (mirrors wr.metrics)
def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        diag, row[0] = row[0], i
        for j in range(1, len(b) + 1):
            above = row[j]
            row[j] = min(diag + (a[i - 1] != b[j - 1]), above + 1, row[j - 1] + 1)
            diag = above
    return row[-1]


def error_rates(hyps, refs):
    errors = length = wrong = 0
    for h, rs in zip(hyps, refs):
        ds = [edit_distance(h, r) for r in rs]
        best = ds.index(min(ds))
        errors += ds[best]
        length += len(rs[best])
        wrong += ds[best] > 0
    return errors / length, wrong / len(hyps)


def evaluate(model, entries, vocabs, batch_size, device, max_len=30):
    model.eval()
    hyps, refs = [], []
    for batch in make_batches(entries, vocabs, batch_size, shuffle=False, per_word=True):
        out = model.greedy(batch['src'].to(device), batch['srcValidLens'].to(device), max_len)
        hyps += [[vocabs[1][t] for t in row] for row in out]
        refs += batch['refs']
    model.train()
    return error_rates(hyps, refs)


# ------------------------------------------------------------------ training
def train_steps(model, batches_per_epoch, epochs, lr, clip, max_steps=None, on_step=None, device='cpu'):
    """Teacher-forced training as d2l's Trainer.fit: zero_grad, loss, backward, clip, Adam step. Returns losses."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=lr)
    losses, step = [], 0
    for epoch in range(epochs):
        for batch in batches_per_epoch(epoch):
            if max_steps is not None and step >= max_steps:
                return losses
            opt.zero_grad()
            logits = model(batch['src'].to(device), batch['srcValidLens'].to(device), batch['decIn'].to(device))
            loss = seq2seq_loss(logits, batch['target'].to(device))
            loss.backward()
            clip_gradients(params, clip)
            opt.step()
            losses.append(loss.item())
            if on_step:
                on_step(epoch, step, loss.item())
            step += 1
    return losses


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--data', required=True, help='WORD<TAB>PHONEMES file (e.g. cmudict-g014b2b/train.tsv)')
    ap.add_argument('--max-words', type=int, default=0, help='use only the first N lines (0: all)')
    ap.add_argument('--num-valid', type=int, default=0, help='words held out for validation (whole words, seeded)')
    ap.add_argument('--seed', type=int, default=0, help='split, batch order and initialisation')
    ap.add_argument('--attention', action='store_true')
    ap.add_argument('--embed-size', type=int, default=32)
    ap.add_argument('--hidden-size', type=int, default=32)
    ap.add_argument('--num-layers', type=int, default=1)
    ap.add_argument('--dropout', type=float, default=0.0)
    ap.add_argument('--batch-size', type=int, default=64)
    ap.add_argument('--epochs', type=int, default=1)
    ap.add_argument('--max-steps', type=int, default=None, help='stop after this many steps')
    ap.add_argument('--lr', type=float, default=0.005)
    ap.add_argument('--clip', type=float, default=1.0)
    ap.add_argument('--init', help='start from these weights (.safetensors, webrnn or d2l names)')
    ap.add_argument('--save-init', help='write the initial weights here')
    ap.add_argument('--save', help='write the trained weights here')
    ap.add_argument('--losses-json', help='write the per-step losses here')
    ap.add_argument('--device', default='cpu')
    args = ap.parse_args()

    # DDP when launched by torchrun: each rank takes every world_size-th batch; gradients are averaged.
    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    device = args.device
    if world > 1:
        import torch.distributed as dist
        dist.init_process_group('nccl' if device.startswith('cuda') else 'gloo')
        if device.startswith('cuda'):
            device = f'cuda:{int(os.environ.get("LOCAL_RANK", "0"))}'
            torch.cuda.set_device(device)

    with open(args.data, encoding='utf-8') as f:
        entries = parse_tsv(f.read())
    if args.max_words:
        entries = entries[:args.max_words]
    vocabs = build_vocabs(entries)
    train, valid = split_by_word(entries, args.num_valid, args.seed)

    torch.manual_seed(args.seed)
    model = Seq2Seq(len(vocabs[0]), len(vocabs[1]), args.embed_size, args.hidden_size, args.num_layers,
                    args.dropout, args.attention)
    if args.init:
        tensors, meta = load_safetensors(args.init)
        for key, vocab in (('graphemes', vocabs[0]), ('phonemes', vocabs[1])):
            if key in meta and json.loads(meta[key]) != vocab:
                sys.exit(f'{args.init}: its {key} vocabulary differs from the data\'s')
        load_webrnn_state(model, tensors)
    if args.save_init and rank == 0:
        save_model(args.save_init, model, vocabs)
    model.to(device)
    net = model
    if world > 1:
        from torch.nn.parallel import DistributedDataParallel
        net = DistributedDataParallel(model)

    def epoch_batches(epoch):
        return make_batches(train, vocabs, args.batch_size, seed=args.seed + epoch)[rank::world]

    t0 = time.time()

    def on_step(epoch, step, loss):
        if rank == 0:
            print(f'epoch {epoch + 1} step {step + 1} loss {loss:.8g}', flush=True)

    losses = train_steps(net, epoch_batches, args.epochs, args.lr, args.clip, args.max_steps, on_step, device)
    if rank == 0:
        print(f'{len(losses)} steps in {time.time() - t0:.1f} s', flush=True)
        if valid:
            per, wer = evaluate(model, valid, vocabs, args.batch_size, device)
            print(f'validation ({len(references(valid))} words, greedy): PER {per:.4f} WER {wer:.4f}')
        if args.losses_json:
            with open(args.losses_json, 'w') as f:
                json.dump(losses, f)
        if args.save:
            save_model(args.save, model.cpu(), vocabs)


if __name__ == '__main__':
    main()
